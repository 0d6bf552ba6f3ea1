#!/usr/bin/env python3
"""Generate a CJE dataset: prompts, responses, judge scores, oracle labels,
teacher-forced log-probs, then data/cje_dataset.jsonl for analyze_dataset.py.

Every step keeps the work earlier runs finished - judged by content: a row
counts only if it succeeded and was computed from the current prompt and
response texts with the current settings - and redoes the rest. Kill it at
any moment (Ctrl-C, a crash, a reboot) and re-run the same command to resume;
only requests in flight are lost. --force redoes everything. --dry-run
prints the plan first: per step the rows done, to do and to redo, the
requests per model and their estimated tokens and cost (prices in the policy
config; estimates), with no network access and nothing written.

Before the first request every endpoint gets one cheap check (GET /models);
a refused connection, a rejected key (401/403), a wrong path or model (404)
or an exhausted quota stops the run at once with the URL, the status and what
to do, and so does a run of such failures later on. The end summary lists
failures per step, policy and cause, retries per fault kind, and the tokens
used with their estimated cost.

Models and endpoints come from the policy config (--policy-config, default
the project's policy_config.py). Environment overrides:
CJE_BASE_URL and CJE_API_KEY point every role at one OpenAI-compatible
endpoint (e.g. a vLLM server or the offline simulator); CJE_JUDGE_MODEL and
CJE_ORACLE_MODEL replace the scorer models. Keys are read from the variables
policy_config names (FIREWORKS_API_KEY, OPENAI_API_KEY) and never written.

\b
Examples:
  # offline, against the simulator (python -m cje.simulator --port 8000):
  CJE_BASE_URL=http://127.0.0.1:8000/v1 CJE_API_KEY=x python generate_arena_data.py \\
      --n-samples 300 --prompts-file cje/pipeline/default_prompts.jsonl
  # a real run on Chatbot Arena prompts (gated: export HF_TOKEN first):
  python generate_arena_data.py --n-samples 5000 --concurrency 16 --oracle-fraction 0.25 --dry-run
  python generate_arena_data.py --n-samples 5000 --concurrency 16 --oracle-fraction 0.25

\b
Files (under --data-dir):
  prompts.jsonl                       the sampled prompts
  generations/, scores/, logprobs/    append-only logs, one row per prompt and policy
  responses/{policy}_responses.jsonl  responses with judge_score / oracle_label merged in
  cje_dataset.jsonl                   the analysis input
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
    max_tokens_option,
    oracle_fraction_option,
    pipeline_quiet_option,
    policy_config_option,
    probe_fraction_option,
    resume_options,
    seed_option,
    verbose_option,
)
from cje.cli.pipeline import (
    dataset_lines,
    failure_hint,
    failure_lines,
    hf_dataset_option,
    moderation_option,
    n_samples_option,
    plan_lines,
    prompt_spec,
    prompts_file_option,
    retry_lines,
    step_lines,
    usage_lines,
)
from cje.cli.progress import ConsoleReporter
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.plan import PlanContext
from cje.pipeline.records import DataPaths
from cje.pipeline.run import plan_pipeline, run_pipeline
from cje.pipeline.settings import ApiSettings, ResumeMode, RunSettings


@command(help=__doc__)
@n_samples_option
@prompts_file_option
@hf_dataset_option
@moderation_option
@max_tokens_option
@oracle_fraction_option
@probe_fraction_option
@draw_logprobs_option
@resume_options
@api_options()
@data_dir_option
@seed_option
@dry_run_option
@pipeline_quiet_option
@verbose_option
@policy_config_option
def main(
    n_samples: int, prompts_file: Path | None, hf_dataset: str | None, moderation_threshold: float,
    max_tokens: int, oracle_fraction: float, probe_fraction: float, draw_logprobs: bool, mode: ResumeMode,
    api: ApiSettings,
    data_dir: str, seed: int, dry_run: bool, quiet: bool, verbose: bool, policy_config: PolicyConfig,
) -> None:
    configure_logging(verbose=verbose)
    roles = policy_config.roles
    spec = prompt_spec(n_samples=n_samples, seed=seed, prompts_file=prompts_file, hf_dataset=hf_dataset,
                       moderation_threshold=moderation_threshold, roles=roles)
    settings = RunSettings(seed=seed, max_tokens=max_tokens, oracle_fraction=oracle_fraction,
                           probe_fraction=probe_fraction, mode=mode, draw_logprobs=draw_logprobs)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        plan = plan_pipeline(spec, PlanContext(roles, settings, paths, policy_config.prices))
        click.echo("\n".join(plan_lines(plan)))
        return
    with locked_run(paths.root):
        report = run_pipeline(spec, roles, settings, api=api, paths=paths,
                              reporter=ConsoleReporter(quiet=quiet))
    lines = [f"{len(report.prompts.prompts)} prompts, {len(roles.policies)} policies:",
             *step_lines(report.steps), *dataset_lines(report.dataset), *failure_lines(report.steps),
             *retry_lines(report.retries), *usage_lines(report.steps, roles, policy_config.prices),
             *failure_hint(report.steps), f"next: python analyze_dataset.py --data {paths.dataset} --estimator all"]
    click.echo("\n".join(lines))


if __name__ == "__main__":
    main()
