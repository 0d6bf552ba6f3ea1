#!/usr/bin/env python3
"""Step 3: add judge scores or oracle labels to a responses file, resuming.

FILE is DATA_DIR/responses/{policy}_responses.jsonl. Each response is sent to
the judge (--type judge, every response) or the oracle (--type oracle: the
--oracle-fraction slice of the logging policy's responses, or the
--probe-fraction slice of a target policy's) with the scoring prompt, in JSON
mode; the reply's {"score": 0-100} is stored divided by 100. Unusable replies
are asked again (--max-parse-attempts), then stored as null with the error.

Scores are appended to DATA_DIR/scores/{policy}_{judge|oracle}.jsonl as they
finish, each with the hash of the response text it scored, and merged into
FILE as judge_score / oracle_label (one atomic rewrite of FILE) every
--save-every new scores and at the end. A score whose response has changed
since is never merged, and is recomputed. Re-run to resume; --force rescores all.
--dry-run says what a run would do (rows done, to do, to redo; requests and
estimated cost) and stops, writing nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import (
    api_options,
    dry_run_option,
    oracle_fraction_option,
    pipeline_quiet_option,
    policy_config_option,
    probe_fraction_option,
    resume_options,
    seed_option,
    verbose_option,
)
from cje.cli.pipeline import failure_hint, failure_lines, plan_lines, retry_lines, step_lines, usage_lines
from cje.cli.progress import ConsoleReporter
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.dataset import refresh_views
from cje.pipeline.plan import PlanContext, plan_scores
from cje.pipeline.prompts import read_prompts
from cje.pipeline.records import locate_responses_file
from cje.pipeline.runner import Connections, StepContext
from cje.pipeline.scoring import add_scores
from cje.pipeline.settings import ApiSettings, ResumeMode, RunSettings


@command(help=__doc__)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "kind", type=click.Choice(["judge", "oracle"]), required=True,
              help="Which scorer of the policy config to ask: the judge or the oracle.")
@click.option("--save-every", type=click.IntRange(0), default=50, show_default=True,
              help="Merge the scores so far into FILE after every N new scores (each merge rewrites FILE; "
                   "0: only at the end). Scores are safe in the score log as soon as they finish either way.")
@click.option("--max-parse-attempts", type=click.IntRange(1), default=3, show_default=True,
              help="Requests per response when replies hold no usable score.")
@oracle_fraction_option
@probe_fraction_option
@resume_options
@dry_run_option
@api_options()
@seed_option
@pipeline_quiet_option
@verbose_option
@policy_config_option
def main(file: Path, kind: str, save_every: int, max_parse_attempts: int, oracle_fraction: float,
         probe_fraction: float, mode: ResumeMode, dry_run: bool, api: ApiSettings, seed: int, quiet: bool,
         verbose: bool, policy_config: PolicyConfig) -> None:
    configure_logging(verbose=verbose)
    roles = policy_config.roles
    paths, policy = locate_responses_file(file)
    if policy not in roles.policies:
        raise click.BadParameter(f"{file}: policy {policy!r} is not in the policy config {policy_config.path} "
                                 f"({', '.join(roles.policies)})", param_hint="FILE")
    settings = RunSettings(seed=seed, oracle_fraction=oracle_fraction, probe_fraction=probe_fraction,
                           max_parse_attempts=max_parse_attempts, mode=mode)
    if dry_run:
        plan = plan_scores(kind, read_prompts(paths), (policy,),  # type: ignore[arg-type]
                           PlanContext(roles, settings, paths, policy_config.prices))
        click.echo("\n".join(plan_lines([plan])))
        return
    with locked_run(paths.root), Connections(api) as connections:
        prompts = read_prompts(paths)

        def merge() -> None:
            refresh_views(paths, prompts, roles, settings, (policy,))

        ctx = StepContext(roles, settings, api, connections, paths, ConsoleReporter(quiet=quiet))
        result = add_scores(kind, prompts, (policy,), ctx, checkpoint=merge,  # type: ignore[arg-type]
                            checkpoint_every=save_every)
        merge()
    click.echo("\n".join([f"{kind} scores for {policy}:", *step_lines([result]), *failure_lines([result]),
                          *retry_lines(connections.retries), *usage_lines([result], roles, policy_config.prices),
                          *failure_hint([result]), f"merged into {file}"]))


if __name__ == "__main__":
    main()
