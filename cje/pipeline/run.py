"""The whole pipeline, step after step: prompts, responses, judge scores, oracle
labels, log-probs, dataset. Each step resumes from what earlier runs finished
(see ``records``); the views under ``responses/`` are refreshed after every
step that changes what they show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cje.pipeline.dataset import DatasetReport, build_dataset, refresh_views
from cje.pipeline.generation import generate_responses
from cje.pipeline.logprobs import compute_logprobs
from cje.pipeline.prompts import PreparedPrompts, PromptSpec, prepare_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.runner import Connections, Reporter, StepContext, StepResult, StepStatus
from cje.pipeline.scoring import add_scores
from cje.pipeline.settings import ApiSettings, Roles, RunSettings


@dataclass(frozen=True)
class PipelineReport:
    prompts: PreparedPrompts
    steps: tuple[StepResult, ...]
    dataset: DatasetReport


def prompts_status(prepared: PreparedPrompts) -> StepStatus:
    """The prompts step as a status block."""
    n = len(prepared.prompts)
    notes = tuple(f"{count} dropped: {why}" for why, count in sorted(prepared.dropped.items()) if count)
    if prepared.reused:
        return StepStatus("prompts", "reused prompts.jsonl (same source, seed and --n-samples)", n, n, {})
    return StepStatus("prompts", f"sampled from {prepared.read} source prompts", n, 0, {"sampled": n}, notes)


def run_pipeline(
    spec: PromptSpec,
    roles: Roles,
    settings: RunSettings,
    api: ApiSettings,
    paths: DataPaths,
    reporter: Reporter,
    *,
    env: Mapping[str, str] | None = None,
) -> PipelineReport:
    """Run every step in order; a ``KeyboardInterrupt`` propagates after the
    finished rows are saved."""
    prepared = prepare_prompts(spec, paths, mode=settings.mode)
    reporter.status(prompts_status(prepared))
    prompts = prepared.prompts
    policies = tuple(roles.policies)
    with Connections(api, env=env) as connections:
        ctx = StepContext(roles, settings, api, connections, paths, reporter)
        steps = [generate_responses(prompts, policies, ctx)]
        refresh_views(paths, prompts, roles, settings, policies)
        for kind in ("judge", "oracle"):
            steps.append(add_scores(kind, prompts, policies, ctx))
            refresh_views(paths, prompts, roles, settings, policies)
        steps.append(compute_logprobs(prompts, policies, ctx))
    dataset = build_dataset(paths, prompts, roles, settings)
    return PipelineReport(prepared, tuple(steps), dataset)
