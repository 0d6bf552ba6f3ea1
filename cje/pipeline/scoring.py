"""The judge and oracle steps: a score on [0, 1] for each response, and which
responses get an oracle label.

Each scorer gets ``cje.scoring_prompt``'s messages in JSON mode at its
configured temperature (0 for the judge; the oracle's model may allow only
its default). A reply with no usable score is asked again, up to
``max_parse_attempts`` calls, then stored as ``score: null`` with the error.
Rows go to ``scores/{policy}_{judge|oracle}.jsonl`` with the hashes of the
prompt and response text they scored.

The judge scores every response. The oracle is expensive, so it labels a
seeded subset chosen by ``prompt_id``: ``oracle_fraction`` of the logging
policy's responses (the calibration slice) and ``probe_fraction`` of each
target policy's (a probe slice, which the analysis uses to check that the
judge-to-oracle map transports). A prompt is in the slice when
``blake2b(seed, prompt_id)`` maps below the fraction, so slices are nested (a
smaller fraction picks a subset of a larger one) and the same prompts are
probed under every target policy.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from cje.api.client import Usage, chat, usage_field
from cje.api.endpoints import Role
from cje.api.errors import RequestFailed
from cje.pipeline.records import (
    CurrentResponse,
    Expected,
    LogRows,
    Prompt,
    ScoreKind,
    Tally,
    current_responses,
    read_log,
    reason_to_redo,
    settings_hash,
    stable_uniform,
    text_hash,
)
from cje.pipeline.runner import (
    Connections,
    Job,
    Row,
    StepContext,
    StepResult,
    StepStatus,
    compact_all,
    open_logs,
    run_jobs,
)
from cje.pipeline.settings import Roles, RunSettings, effective_model, scorer_max_tokens, token_limit_param
from cje.scoring_prompt import ScoreParseError, ScoringPromptError, parse_score, scoring_messages

logger = logging.getLogger(__name__)


# ---- the oracle slice --------------------------------------------------------


def oracle_fraction_for(policy: str, *, logging_policy: str, settings: RunSettings) -> float:
    return settings.oracle_fraction if policy == logging_policy else settings.probe_fraction


def in_oracle_slice(prompt_id: str, fraction: float, *, seed: int) -> bool:
    """Whether the oracle labels this prompt's response at this ``fraction``."""
    return stable_uniform("oracle-slice", seed, prompt_id) < fraction


# ---- the step ----------------------------------------------------------------


JSON_MODE = {"type": "json_object"}
# Identifies the scoring instructions and framing: changing them changes every score.
SCORING_PROMPT_HASH = text_hash(json.dumps(scoring_messages("{prompt}", "{response}")))
SCORE_FIELD: Mapping[ScoreKind, str] = {"judge": "judge_score", "oracle": "oracle_label"}


def scorer_role(roles: Roles, kind: ScoreKind) -> Role:
    return roles.judge if kind == "judge" else roles.oracle


def expected_score(scorer: Role, kind: ScoreKind, response: CurrentResponse) -> Expected:
    knobs = settings_hash("score", kind, effective_model(scorer), scorer.temperature, SCORING_PROMPT_HASH)
    return Expected(content=response.content, settings_hash=knobs)


def wants_score(kind: ScoreKind, policy: str, prompt_id: str, roles: Roles, settings: RunSettings) -> bool:
    """The judge scores everything; the oracle only its seeded slice."""
    if kind == "judge":
        return True
    fraction = oracle_fraction_for(policy, logging_policy=roles.logging_policy, settings=settings)
    return in_oracle_slice(prompt_id, fraction, seed=settings.seed)


def score_response(
    scorer: Role, kind: ScoreKind, policy: str, response: CurrentResponse, *, settings: RunSettings,
    connections: Connections,
) -> Row:
    """Ask ``scorer`` for a score of ``response``; a row either way."""
    endpoint = connections.endpoint(scorer)
    row: Row = {
        "prompt_id": response.prompt.prompt_id, "policy": policy, "kind": kind, "model": endpoint.model,
        "temperature": scorer.temperature, **response.content,
        "settings_hash": expected_score(scorer, kind, response).settings_hash,
    }
    try:
        messages = scoring_messages(response.prompt.prompt, response.response)
    except ScoringPromptError as error:
        return {**row, "score": None, "error": str(error), "error_type": "non_retryable",
                "cause": "prompt cannot be framed", "attempts": 0}
    param = token_limit_param(scorer.name, endpoint.model)
    client = connections.client(endpoint)
    problem: ScoreParseError | None = None
    usages: list[Usage | None] = []
    for attempt in range(1, settings.max_parse_attempts + 1):
        try:
            reply = chat(client, model=endpoint.model, messages=messages, temperature=scorer.temperature,
                         max_tokens=scorer_max_tokens(param), retry=connections.retry_for(endpoint),
                         response_format=JSON_MODE, token_limit_param=param)
        except RequestFailed as failure:
            return {**row, "score": None, **failure.as_row(), "attempts": attempt, "usage": usage_field(usages)}
        usages.append(reply.usage)
        try:
            return {**row, "score": parse_score(reply.text), "attempts": attempt, "usage": usage_field(usages)}
        except ScoreParseError as error:
            problem = error
            logger.info("%s reply %d/%d for %s unusable: %s", kind, attempt, settings.max_parse_attempts,
                        response.prompt.prompt_id, error)
    return {**row, "score": None, "error": f"unusable {kind} reply after {settings.max_parse_attempts} "
            f"attempts: {problem}", "error_type": "retryable", "cause": f"unusable {kind} reply",
            "attempts": settings.max_parse_attempts, "usage": usage_field(usages)}


def scores_todo(
    kind: ScoreKind, policies: Sequence[str], roles: Roles, settings: RunSettings, *,
    responses: Mapping[str, Sequence[CurrentResponse]], logs: Mapping[str, LogRows], n_prompts: int,
) -> tuple[Tally, list[tuple[str, CurrentResponse]], Counter[str]]:
    """What the ``kind`` step must score, given each policy's current responses and
    score log rows; and what it skips, by reason."""
    scorer = scorer_role(roles, kind)
    tally, todo, skipped = Tally(), [], Counter[str]()
    for policy in policies:
        current = responses.get(policy, ())
        skipped["no successful response"] += n_prompts - len(current)
        for response in current:
            if not wants_score(kind, policy, response.prompt.prompt_id, roles, settings):
                skipped["outside the oracle slice"] += 1
                continue
            reason = reason_to_redo(logs.get(policy, {}).get(response.prompt.prompt_id),
                                    expected_score(scorer, kind, response), settings.mode)
            tally.add(reason)
            if reason is not None:
                todo.append((policy, response))
    return tally, todo, skipped


def scores_description(kind: ScoreKind, roles: Roles, policies: Sequence[str]) -> str:
    return f"{effective_model(scorer_role(roles, kind))} scores {len(policies)} policies' responses"


def skipped_notes(skipped: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(f"{count} skipped: {why}" for why, count in skipped.items() if count)


def add_scores(
    kind: ScoreKind,
    prompts: Sequence[Prompt],
    policies: Sequence[str],
    ctx: StepContext,
    *,
    checkpoint: Callable[[], None] | None = None,
    checkpoint_every: int = 0,
) -> StepResult:
    """Score every current response of ``policies`` that ``kind`` wants;
    ``checkpoint`` runs after every ``checkpoint_every`` new rows."""
    roles, settings, connections = ctx.roles, ctx.settings, ctx.connections
    scorer = scorer_role(roles, kind)
    responses = {p: current_responses(read_log(ctx.paths.generations(p)), prompts) for p in policies}
    with open_logs({p: ctx.paths.scores(p, kind) for p in policies}, batch_size=ctx.api.batch_size) as logs:
        tally, todo, skipped = scores_todo(kind, policies, roles, settings, responses=responses,
                                           logs={p: log.rows for p, log in logs.items()}, n_prompts=len(prompts))
        status = StepStatus.from_tally(kind, scores_description(kind, roles, policies), tally, skipped_notes(skipped))
        ctx.reporter.status(status)
        if todo:
            connections.ready([scorer])
        jobs = [Job(policy, response.prompt.prompt_id, _bind(scorer, kind, policy, response, settings=settings,
                                                                    connections=connections))
                for policy, response in todo]
        result = run_jobs(jobs, logs, connections, ctx.reporter, status, checkpoint=checkpoint,
                          checkpoint_every=checkpoint_every)
        compact_all(logs, prompts)
    return result


def _bind(scorer: Role, kind: ScoreKind, policy: str, response: CurrentResponse, *, settings: RunSettings,
          connections: Connections) -> Callable[[], Row]:
    return lambda: score_response(scorer, kind, policy, response, settings=settings, connections=connections)
