#!/usr/bin/env python3
"""Step 4: teacher-forced log-probs of the logging policy's responses under every policy.

For each successful response of the logging policy (base) and each policy,
the chat (policy system prompt, user prompt, the response) is rendered with
the policy's chat template and echoed by POST /completions (echo, logprobs=1,
max_tokens 0, or 1 where a provider insists). The log-prob sums the tokens
from the first token of the response, located by text_offset, through the
end-of-turn token; the echo must equal the text sent and no token log-prob
may be positive. Rows (logprob, method, hashes of the prompt and response,
error) go to logprobs/{policy}_logprobs.jsonl. With --draw-logprobs (the
default) each target policy's own responses are also teacher-forced under
itself and under base (logprobs/{target}_draws_under_{policy}.jsonl), for the
analysis's target coverage. Re-run to resume. --dry-run
says what a run would do (rows done, to do, to redo; requests and estimated
cost) and stops, writing nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import (
    api_options,
    data_dir_option,
    draw_logprobs_option,
    dry_run_option,
    pipeline_quiet_option,
    policy_config_option,
    resume_options,
    seed_option,
    verbose_option,
)
from cje.cli.pipeline import failure_hint, failure_lines, plan_lines, retry_lines, step_lines, usage_lines
from cje.cli.progress import ConsoleReporter
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.draw_logprobs import compute_draw_logprobs
from cje.pipeline.logprobs import compute_logprobs
from cje.pipeline.plan import PlanContext, plan_draw_logprobs, plan_logprobs
from cje.pipeline.prompts import read_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.runner import Connections, StepContext
from cje.pipeline.settings import ApiSettings, ResumeMode, RunSettings


@command(help=__doc__)
@resume_options
@draw_logprobs_option
@dry_run_option
@api_options()
@data_dir_option
@seed_option
@pipeline_quiet_option
@verbose_option
@policy_config_option
def main(mode: ResumeMode, draw_logprobs: bool, dry_run: bool, api: ApiSettings, data_dir: str, seed: int,
         quiet: bool, verbose: bool, policy_config: PolicyConfig) -> None:
    configure_logging(verbose=verbose)
    roles = policy_config.roles
    settings = RunSettings(seed=seed, mode=mode, draw_logprobs=draw_logprobs)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        prompts, context = read_prompts(paths), PlanContext(roles, settings, paths, policy_config.prices)
        plans = [plan_logprobs(prompts, tuple(roles.policies), context)]
        if draw_logprobs:
            plans.append(plan_draw_logprobs(prompts, tuple(roles.policies), context))
        click.echo("\n".join(plan_lines(plans)))
        return
    with locked_run(paths.root), Connections(api) as connections:
        prompts = read_prompts(paths)
        ctx = StepContext(roles, settings, api, connections, paths, ConsoleReporter(quiet=quiet))
        results = [compute_logprobs(prompts, tuple(roles.policies), ctx)]
        if draw_logprobs:
            results.append(compute_draw_logprobs(prompts, tuple(roles.policies), ctx))
    click.echo("\n".join(["log-probs:", *step_lines(results), *failure_lines(results),
                          *retry_lines(connections.retries), *usage_lines(results, roles, policy_config.prices),
                          *failure_hint(results)]))


if __name__ == "__main__":
    main()
