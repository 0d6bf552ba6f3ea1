#!/usr/bin/env python3
"""Step 2: each policy of policy_config.py answers each prompt of DATA_DIR/prompts.jsonl.

Requests carry the policy's system prompt, its temperature, --max-tokens and
a seed derived from --seed, the policy and the prompt. --dry-run says what a
run would do (rows done, to do, to redo; requests and estimated cost) and
stops, writing nothing. Results (or failures,
with error and error_type retryable / non_retryable) are appended to
generations/{policy}_generations.jsonl as they finish; responses/ views are
refreshed at the end. Finished rows are kept (see --skip-existing / --force);
re-run the same command to resume after an interruption. Use the same --seed
and --max-tokens as the rest of the run.
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import (
    api_options,
    data_dir_option,
    dry_run_option,
    max_tokens_option,
    pipeline_quiet_option,
    policies_option,
    policy_config_option,
    resume_options,
    seed_option,
    verbose_option,
)
from cje.cli.pipeline import (
    failure_hint,
    failure_lines,
    plan_lines,
    retry_lines,
    selected_policies,
    step_lines,
    usage_lines,
)
from cje.cli.progress import ConsoleReporter
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.dataset import refresh_views
from cje.pipeline.generation import generate_responses
from cje.pipeline.plan import PlanContext, plan_responses
from cje.pipeline.prompts import read_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.runner import Connections, StepContext
from cje.pipeline.settings import ApiSettings, ResumeMode, RunSettings


@command(help=__doc__)
@policies_option("Only these policies (all: every policy of the policy config).")
@max_tokens_option
@resume_options
@dry_run_option
@api_options()
@data_dir_option
@seed_option
@pipeline_quiet_option
@verbose_option
@policy_config_option
def main(policy_names: tuple[str, ...], max_tokens: int, mode: ResumeMode, dry_run: bool, api: ApiSettings,
         data_dir: str, seed: int, quiet: bool, verbose: bool, policy_config: PolicyConfig) -> None:
    configure_logging(verbose=verbose)
    roles = policy_config.roles
    policies = selected_policies(roles, policy_names)
    # The views show every oracle label of a current text; which prompts the oracle
    # labels is the scoring step's business (its --oracle-fraction / --probe-fraction).
    settings = RunSettings(seed=seed, max_tokens=max_tokens, oracle_fraction=1.0, probe_fraction=1.0, mode=mode)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        plan, _ = plan_responses(read_prompts(paths), policies, PlanContext(roles, settings, paths,
                                                                            policy_config.prices))
        click.echo("\n".join(plan_lines([plan])))
        return
    with locked_run(paths.root), Connections(api) as connections:
        prompts = read_prompts(paths)
        ctx = StepContext(roles, settings, api, connections, paths, ConsoleReporter(quiet=quiet))
        result = generate_responses(prompts, policies, ctx)
        refresh_views(paths, prompts, roles, settings, policies)
    click.echo("\n".join(["responses:", *step_lines([result]), *failure_lines([result]),
                          *retry_lines(connections.retries), *usage_lines([result], roles, policy_config.prices),
                          *failure_hint([result])]))


if __name__ == "__main__":
    main()
