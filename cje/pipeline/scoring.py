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

from cje.api.client import chat
from cje.api.endpoints import Role
from cje.api.errors import RequestFailed
from cje.pipeline.records import (
    CurrentResponse,
    Expected,
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
    scorer: Role, kind: ScoreKind, policy: str, response: CurrentResponse, settings: RunSettings,
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
        return {**row, "score": None, "error": str(error), "error_type": "non_retryable", "attempts": 0}
    param = token_limit_param(scorer.name, endpoint.model)
    client = connections.client(endpoint)
    problem = None
    for attempt in range(1, settings.max_parse_attempts + 1):
        try:
            reply = chat(client, model=endpoint.model, messages=messages, temperature=scorer.temperature,
                         max_tokens=scorer_max_tokens(param), retry=connections.retry,
                         response_format=JSON_MODE, token_limit_param=param)
        except RequestFailed as failure:
            return {**row, "score": None, **failure.as_row(), "attempts": attempt}
        try:
            return {**row, "score": parse_score(reply.text), "attempts": attempt}
        except ScoreParseError as error:
            problem = error
            logger.info("%s reply %d/%d for %s unusable: %s", kind, attempt, settings.max_parse_attempts,
                        response.prompt.prompt_id, error)
    return {**row, "score": None, "error": f"unusable {kind} reply after {settings.max_parse_attempts} "
            f"attempts: {problem}", "error_type": "retryable", "attempts": settings.max_parse_attempts}


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
    with open_logs({p: ctx.paths.scores(p, kind) for p in policies}, batch_size=ctx.api.batch_size) as logs:
        tally, jobs, skipped = Tally(), [], Counter[str]()
        for policy in policies:
            responses = current_responses(read_log(ctx.paths.generations(policy)), prompts)
            skipped["no successful response"] += len(prompts) - len(responses)
            for response in responses:
                if not wants_score(kind, policy, response.prompt.prompt_id, roles, settings):
                    skipped["outside the oracle slice"] += 1
                    continue
                reason = reason_to_redo(logs[policy].rows.get(response.prompt.prompt_id),
                                        expected_score(scorer, kind, response), settings.mode)
                tally.add(reason)
                if reason is not None:
                    jobs.append(Job(policy, response.prompt.prompt_id,
                                    _bind(scorer, kind, policy, response, settings, connections)))
        notes = tuple(f"{count} skipped: {why}" for why, count in skipped.items() if count)
        status = StepStatus.from_tally(
            kind, f"{effective_model(scorer)} scores {len(policies)} policies' responses", tally, notes)
        ctx.reporter.status(status)
        if jobs:
            connections.endpoint(scorer)  # a missing API key stops the step before any request
        result = run_jobs(jobs, logs, connections, ctx.reporter, status, checkpoint=checkpoint,
                          checkpoint_every=checkpoint_every)
        compact_all(logs, prompts)
    return result


def _bind(scorer: Role, kind: ScoreKind, policy: str, response: CurrentResponse, settings: RunSettings,
          connections: Connections) -> Callable[[], Row]:
    return lambda: score_response(scorer, kind, policy, response, settings, connections)
