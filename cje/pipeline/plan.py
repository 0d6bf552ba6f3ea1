"""What a run would do, before it spends anything: per step, the rows already
done, to do and to redo (and why), the requests per model, their estimated
tokens and cost - from the files alone, with no network and nothing written.

A whole-pipeline plan assumes every request it plans succeeds: a response to
be generated is followed by its judge score, its oracle label (in the slice)
and its log-probs, whatever scores an earlier text of it had.

Estimates, not measurements:

* tokens are characters / 4 (plus a few per message), the usual rule of thumb
  for English text; a provider's own tokenizer will differ a little;
* a response's length is the mean completion of that policy's earlier
  responses when there are some, else ``--max-tokens`` (an upper bound,
  marked ``<=``); a scorer's reply likewise (a reasoning model's hidden
  tokens make its bound large);
* prices come from ``PRICES`` in the policy config (US dollars per million
  input and output tokens, list prices copied by hand); a model without a price
  has no cost estimate, and an endpoint on this machine (the offline simulator,
  a local server) costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cje.api.endpoints import Role, base_url_of
from cje.pipeline.draw_logprobs import draw_logprobs_status, draw_logprobs_todo, draw_logs, target_responses
from cje.pipeline.generation import STEP, GenerationTodo, responses_description, responses_todo
from cje.pipeline.logprobs import logprobs_status, logprobs_todo
from cje.pipeline.records import (
    CurrentResponse,
    DataPaths,
    LogRows,
    Prompt,
    ScoreKind,
    current_responses,
    failed,
    read_log,
)
from cje.pipeline.runner import StepStatus
from cje.pipeline.scoring import scorer_role, scores_description, scores_todo, skipped_notes
from cje.pipeline.settings import (
    ModelPrice,
    Roles,
    RunSettings,
    effective_model,
    scorer_max_tokens,
    token_limit_param,
)
from cje.scoring_prompt import scoring_messages

CHARS_PER_TOKEN = 4.0
MESSAGE_TOKENS = 4
TEMPLATE_CHARS = 120  # a chat template's special tokens and headers, roughly
SCORING_FRAME_CHARS = sum(len(m["content"]) for m in scoring_messages("", ""))
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class RequestEstimate:
    """The requests one step sends to one model, with estimated tokens and cost
    (``cost`` None: no price known). ``output_bound``: the output estimate is an
    upper bound (no earlier replies to average)."""

    model: str
    base_url: str
    requests: int
    input_tokens: int
    output_tokens: int
    output_bound: bool
    cost: float | None


@dataclass(frozen=True)
class StepPlan:
    """One step's status (done, to do, to redo) and the requests it would send."""

    status: StepStatus
    estimates: tuple[RequestEstimate, ...]


@dataclass(frozen=True)
class RunPlan:
    """Every step of a run, in order."""

    steps: tuple[StepPlan, ...]
    dataset_rows: int

    @property
    def cost(self) -> float | None:
        """The estimated total in US dollars; None when some model has no price."""
        costs = [e.cost for step in self.steps for e in step.estimates]
        return None if any(c is None for c in costs) else math.fsum(c for c in costs if c is not None)


def model_price(model: str, base_url: str, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """What ``model`` costs at ``base_url``: free on this machine, else ``prices``' entry."""
    if (urlsplit(base_url).hostname or "") in LOCAL_HOSTS:
        return ModelPrice(0.0, 0.0)
    return prices.get(model)


def tokens(chars: int | float) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


# ---- planning single steps -------------------------------------------------------


@dataclass(frozen=True)
class PlanContext:
    """What planning reads: roles, settings, files, prices and the environment."""

    roles: Roles
    settings: RunSettings
    paths: DataPaths
    prices: Mapping[str, ModelPrice]
    env: Mapping[str, str] | None = None


def plan_responses(prompts: Sequence[Prompt], policies: Sequence[str], ctx: PlanContext, *,
                   only_failed: bool = False) -> tuple[StepPlan, list[GenerationTodo]]:
    """The responses step (or the regeneration of failures, ``only_failed``)."""
    logs = {p: read_log(ctx.paths.generations(p)) for p in policies}
    tally, todo = responses_todo(prompts, policies, ctx.roles, ctx.settings, logs, only_failed=only_failed)
    status = StepStatus.from_tally(STEP, responses_description(policies, prompts), tally)
    groups = _Groups(ctx)
    for item in todo:
        role = ctx.roles.policies[item.policy]
        chars = len(role.system_prompt or "") + len(item.prompt.prompt)
        expected, bound = _response_tokens(logs[item.policy], ctx.settings.max_tokens)
        groups.add(role, tokens(chars) + 2 * MESSAGE_TOKENS, expected, bound)
    return StepPlan(status, groups.estimates()), todo


def plan_scores(kind: ScoreKind, prompts: Sequence[Prompt], policies: Sequence[str], ctx: PlanContext,
                responses: Mapping[str, Sequence[CurrentResponse]] | None = None, *,
                only: Collection[str] | None = None) -> StepPlan:
    """The judge or oracle step, on ``responses`` (default: the current ones);
    ``only``: exactly these prompts instead of the seeded slice."""
    if responses is None:
        responses = {p: current_responses(read_log(ctx.paths.generations(p)), prompts) for p in policies}
    logs = {p: read_log(ctx.paths.scores(p, kind)) for p in policies}
    tally, todo, skipped = scores_todo(kind, policies, ctx.roles, ctx.settings, responses=responses, logs=logs,
                                       n_prompts=len(prompts), only=only)
    status = StepStatus.from_tally(kind, scores_description(kind, ctx.roles, policies), tally,
                                   skipped_notes(skipped))
    scorer = scorer_role(ctx.roles, kind)
    limit = scorer_max_tokens(token_limit_param(scorer.name, effective_model(scorer, ctx.env), ctx.env))
    expected, bound = _observed_completion([row for log in logs.values() for row in log.values()], limit)
    groups = _Groups(ctx)
    for _, response in todo:
        chars = SCORING_FRAME_CHARS + len(response.prompt.prompt) + len(response.response)
        groups.add(scorer, tokens(chars) + 2 * MESSAGE_TOKENS, expected, bound)
    return StepPlan(status, groups.estimates())


def plan_logprobs(prompts: Sequence[Prompt], policies: Sequence[str], ctx: PlanContext,
                  responses: Sequence[CurrentResponse] | None = None) -> StepPlan:
    """The log-probs step, on the logging policy's ``responses`` (default: the current ones)."""
    roles = ctx.roles
    if responses is None:
        responses = current_responses(read_log(ctx.paths.generations(roles.logging_policy)), prompts)
    logs = {p: read_log(ctx.paths.logprobs(p)) for p in policies}
    tally, todo = logprobs_todo(policies, roles, ctx.settings, responses, logs)
    status = logprobs_status(roles, policies, len(prompts), len(responses), tally)
    groups = _Groups(ctx)
    for policy, response in todo:
        role = roles.policies[policy]
        chars = TEMPLATE_CHARS + len(role.system_prompt or "") + len(response.prompt.prompt) + len(response.response)
        groups.add(role, tokens(chars), 0, False)
    return StepPlan(status, groups.estimates())


def plan_draw_logprobs(prompts: Sequence[Prompt], policies: Sequence[str], ctx: PlanContext,
                       responses: Mapping[str, Sequence[CurrentResponse]] | None = None) -> StepPlan:
    """The draw log-probs step, on the target policies' ``responses`` (default: the current ones)."""
    roles = ctx.roles
    logs = draw_logs(roles, policies)
    if responses is None:
        responses = target_responses(ctx.paths, prompts, logs)
    rows = {log.name: read_log(ctx.paths.draw_logprobs(log.target, log.scorer)) for log in logs}
    tally, todo = draw_logprobs_todo(logs, roles, ctx.settings, responses, rows)
    groups = _Groups(ctx)
    for log, response in todo:
        role = roles.policies[log.scorer]
        chars = TEMPLATE_CHARS + len(role.system_prompt or "") + len(response.prompt.prompt) + len(response.response)
        groups.add(role, tokens(chars), 0, False)
    return StepPlan(draw_logprobs_status(roles, logs, tally), groups.estimates())


# ---- planning a whole run ----------------------------------------------------------


def plan_run(prompts: Sequence[Prompt], prompts_status: StepStatus, ctx: PlanContext) -> RunPlan:
    """Every step after the prompts, each assuming the ones before it succeed."""
    policies = tuple(ctx.roles.policies)
    responses_plan, todo = plan_responses(prompts, policies, ctx)
    after = _responses_after(prompts, policies, todo, ctx)
    steps = [StepPlan(prompts_status, ()), responses_plan]
    steps.extend(plan_scores(kind, prompts, policies, ctx, after) for kind in ("judge", "oracle"))
    steps.append(plan_logprobs(prompts, policies, ctx, after[ctx.roles.logging_policy]))
    if ctx.settings.draw_logprobs:
        steps.append(plan_draw_logprobs(prompts, policies, ctx, after))
    return RunPlan(tuple(steps), dataset_rows=len(prompts))


def _responses_after(prompts: Sequence[Prompt], policies: Sequence[str], todo: Sequence[GenerationTodo],
                     ctx: PlanContext) -> dict[str, list[CurrentResponse]]:
    """Each policy's responses once the planned ones exist: a planned response is a
    placeholder text of the expected length, which no stored score matches."""
    redo = {(t.policy, t.prompt.prompt_id) for t in todo}
    after = {}
    for policy in policies:
        log = read_log(ctx.paths.generations(policy))
        kept = {r.prompt.prompt_id: r for r in current_responses(log, prompts)
                if (policy, r.prompt.prompt_id) not in redo}
        expected, _ = _response_tokens(log, ctx.settings.max_tokens)
        planned = "\0" + "x" * max(0, int(expected * CHARS_PER_TOKEN) - 1)
        after[policy] = [kept.get(p.prompt_id) or CurrentResponse(p, planned) for p in prompts
                         if p.prompt_id in kept or (policy, p.prompt_id) in redo]
    return after


# ---- token estimates --------------------------------------------------------------------


def _response_tokens(log: LogRows, max_tokens: int) -> tuple[int, bool]:
    return _observed_completion(list(log.values()), max_tokens)


def _observed_completion(rows: Sequence[Mapping[str, object]], limit: int) -> tuple[int, bool]:
    """The mean completion tokens of ``rows`` that report usage (capped at
    ``limit``), or ``limit`` itself as an upper bound when none does."""
    counts = []
    for row in rows:
        usage = row.get("usage")
        if isinstance(usage, Mapping) and not failed(row):
            value = usage.get("completion_tokens")
            if isinstance(value, int) and not isinstance(value, bool):
                counts.append(value)
    if not counts:
        return limit, True
    return min(limit, math.ceil(sum(counts) / len(counts))), False


class _Groups:
    """Requests added up per (model, base URL)."""

    def __init__(self, ctx: PlanContext) -> None:
        self._ctx = ctx
        self._totals: dict[tuple[str, str], list[int]] = {}
        self._bound: dict[tuple[str, str], bool] = {}

    def add(self, role: Role, input_tokens: int, output_tokens: int, bound: bool) -> None:
        key = (effective_model(role, self._ctx.env), base_url_of(role, self._ctx.env))
        totals = self._totals.setdefault(key, [0, 0, 0])
        totals[0] += 1
        totals[1] += input_tokens
        totals[2] += output_tokens
        self._bound[key] = self._bound.get(key, False) or bound

    def estimates(self) -> tuple[RequestEstimate, ...]:
        found = []
        for (model, base_url), (requests, inputs, outputs) in self._totals.items():
            price = model_price(model, base_url, self._ctx.prices)
            cost = None if price is None else price.cost(inputs, outputs)
            found.append(RequestEstimate(model, base_url, requests, inputs, outputs, self._bound[(model, base_url)],
                                         cost))
        return tuple(found)
