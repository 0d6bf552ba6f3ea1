"""The whole pipeline, step after step: prompts, responses, judge scores, oracle
labels, log-probs, dataset. Each step resumes from what earlier runs finished
(see ``records``); the views under ``responses/`` are refreshed after every
step that changes what they show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cje.api.endpoints import Role
from cje.pipeline.dataset import DatasetReport, build_dataset, refresh_views
from cje.pipeline.draw_logprobs import compute_draw_logprobs
from cje.pipeline.generation import generate_responses
from cje.pipeline.logprobs import compute_logprobs
from cje.pipeline.plan import PlanContext, RunPlan, plan_run
from cje.pipeline.prompts import PreparedPrompts, PromptSpec, plan_prompts, prepare_prompts
from cje.pipeline.records import DataPaths, Prompt
from cje.pipeline.runner import Connections, Reporter, StepContext, StepResult, StepStatus
from cje.pipeline.scoring import add_scores
from cje.pipeline.settings import ApiSettings, Roles, RunSettings, effective_model

# A Hub prompt not yet downloaded is assumed this long (the mean first turn of the
# 1,000-prompt Arena sample this project was checked on is 138 characters).
ASSUMED_HUB_PROMPT_CHARS = 140


@dataclass(frozen=True)
class PipelineReport:
    prompts: PreparedPrompts
    steps: tuple[StepResult, ...]
    dataset: DatasetReport
    retries: Mapping[str, int]


def prompts_status(prepared: PreparedPrompts) -> StepStatus:
    """The prompts step as a status block."""
    n = len(prepared.prompts)
    notes = tuple(f"{count} dropped: {why}" for why, count in sorted(prepared.dropped.items()) if count)
    if prepared.reused:
        return StepStatus("prompts", "reused prompts.jsonl (same source, seed and --n-samples)", n, n, {})
    return StepStatus("prompts", f"sample {n} of {prepared.read} source prompts", n, 0, {"sampled": n}, notes)


def run_pipeline(
    spec: PromptSpec,
    roles: Roles,
    settings: RunSettings,
    *,
    api: ApiSettings,
    paths: DataPaths,
    reporter: Reporter,
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
        connections.ready(_roles_with_work(prompts, roles, settings, paths, env))
        steps = [generate_responses(prompts, policies, ctx)]
        refresh_views(paths, prompts, roles, settings, policies)
        for kind in ("judge", "oracle"):
            steps.append(add_scores(kind, prompts, policies, ctx))
            refresh_views(paths, prompts, roles, settings, policies)
        steps.append(compute_logprobs(prompts, policies, ctx))
        if settings.draw_logprobs:
            steps.append(compute_draw_logprobs(prompts, policies, ctx))
    dataset = build_dataset(paths, prompts, roles, settings)
    return PipelineReport(prepared, tuple(steps), dataset, dict(connections.retries))


def _roles_with_work(prompts: Sequence[Prompt], roles: Roles, settings: RunSettings, paths: DataPaths,
                     env: Mapping[str, str] | None) -> list[Role]:
    """The roles the run will call (from its plan), so that every endpoint is checked
    before the first request and a finished run needs no key."""
    plan = plan_run(prompts, StepStatus("prompts", "", 0, 0, {}), PlanContext(roles, settings, paths, {}, env))
    models = {e.model for step in plan.steps for e in step.estimates}
    every = [*roles.policies.values(), roles.judge, roles.oracle]
    return [role for role in every if effective_model(role, env) in models]


def plan_pipeline(spec: PromptSpec, ctx: PlanContext) -> RunPlan:
    """What ``run_pipeline`` would do, from the files alone (no network, nothing
    written). Prompts still to download from the Hub are counted with an assumed length."""
    prepared = plan_prompts(spec, ctx.paths, mode=ctx.settings.mode)
    if prepared is not None:
        return plan_run(prepared.prompts, prompts_status(prepared), ctx)
    placeholders = [Prompt(f"hub_{i}", "x" * ASSUMED_HUB_PROMPT_CHARS) for i in range(spec.n_samples)]
    status = StepStatus("prompts", f"sample {spec.n_samples} from {spec.hf_dataset} on the Hugging Face Hub "
                        f"(not contacted in a dry run; each assumed {ASSUMED_HUB_PROMPT_CHARS} characters long)",
                        spec.n_samples, 0, {"sampled": spec.n_samples})
    return plan_run(placeholders, status, ctx)
