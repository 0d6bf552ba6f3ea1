#!/usr/bin/env python3
"""Report failed responses per policy and error type, and generate them again.

Reads DATA_DIR/generations/ (the failures of the current prompts), prints a
table of failures by policy and error type (retryable: the provider was
overloaded, rate-limited, timed out or sent a broken reply; non_retryable: it
refused the request, e.g. 400/401/403/404 or exhausted quota), then retries
each failed request with --max-retries attempts, asking for a fresh sample (a
new request seed). --dry-run only reports, and says how many requests a run
would send: it reads the files and writes nothing (a read-only data directory
is fine), with no network access.

A regenerated response has a new text hash, so any score or log-prob of an
earlier text of that prompt is stale: the next run of generate_arena_data.py (same options)
recomputes exactly those, and build_dataset.py refuses to join stale values
until then. Use the same --seed and --max-tokens as the run.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    seed_option,
    verbose_option,
)
from cje.cli.pipeline import failure_lines, plan_lines, retry_lines, selected_policies, step_lines, usage_lines
from cje.cli.progress import ConsoleReporter
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.dataset import refresh_views
from cje.pipeline.generation import FailureCount, count_failures, generate_responses
from cje.pipeline.plan import PlanContext, plan_responses
from cje.pipeline.prompts import read_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.runner import Connections, StepContext
from cje.pipeline.settings import ApiSettings, ResumeMode, RunSettings


def failure_table(counts: Sequence[FailureCount]) -> str:
    width = max(len("policy"), *(len(c.policy) for c in counts))
    lines = [f"{'policy':<{width}}  {'retryable':>9}  {'non_retryable':>13}  total"]
    for count in counts:
        lines.append(f"{count.policy:<{width}}  {count.by_type.get('retryable', 0):>9}  "
                     f"{count.by_type.get('non_retryable', 0):>13}  {count.total:>5}")
    for count in counts:
        for kind, example in count.examples.items():
            lines.append(f"  e.g. {count.policy} {kind}: {example}")
    return "\n".join(lines)


@command(help=__doc__)
@policies_option("Only these policies (all: every policy of the policy config).")
@dry_run_option
@max_tokens_option
@api_options()
@data_dir_option
@seed_option
@pipeline_quiet_option
@verbose_option
@policy_config_option
def main(policy_names: tuple[str, ...], dry_run: bool, max_tokens: int, api: ApiSettings, data_dir: str,
         seed: int, quiet: bool, verbose: bool, policy_config: PolicyConfig) -> None:
    configure_logging(verbose=verbose)
    roles = policy_config.roles
    policies = selected_policies(roles, policy_names)
    # The views show every oracle label of a current text; which prompts the oracle
    # labels is the scoring step's business (generate_arena_data.py --oracle-fraction).
    settings = RunSettings(seed=seed, max_tokens=max_tokens, oracle_fraction=1.0, probe_fraction=1.0,
                           mode=ResumeMode.RESUME)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        prompts = read_prompts(paths)
        click.echo("failed responses:\n" + failure_table(count_failures(paths, prompts, policies)))
        plan, _ = plan_responses(prompts, policies, PlanContext(roles, settings, paths, policy_config.prices),
                                 only_failed=True)
        click.echo("\n".join(plan_lines([plan])))
        return
    with locked_run(paths.root):
        prompts = read_prompts(paths)
        before = count_failures(paths, prompts, policies)
        click.echo("failed responses:\n" + failure_table(before))
        if not any(c.total for c in before):
            click.echo("nothing to retry")
            return
        with Connections(api) as connections:
            ctx = StepContext(roles, settings, api, connections, paths, ConsoleReporter(quiet=quiet))
            result = generate_responses(prompts, policies, ctx, only_failed=True)
        refresh_views(paths, prompts, roles, settings, policies)
        after = count_failures(paths, prompts, policies)
    click.echo("\n".join([
        "regenerated:", *step_lines([result]), *failure_lines([result]), *retry_lines(connections.retries),
        *usage_lines([result], roles, policy_config.prices), "still failing:\n" + failure_table(after),
        "Their scores and log-probs are now stale or missing: run generate_arena_data.py again with the "
        "same options to compute them.",
    ]))


if __name__ == "__main__":
    main()
