"""What the analysis reads: the ``responses/{policy}_responses.jsonl`` views
(the fresh draws) and ``cje_dataset.jsonl`` (the logged rows).

A view row is the current generation row of a prompt (the response, or the
failure) with its ``response_hash``, the ``judge_score`` computed from that
very text (``null`` if there is none yet), for prompts in the oracle slice
the ``oracle_label`` computed from it and, for a target policy, the
response's log-probs under itself and the logging policy
(``target_policy_logprob``, ``base_policy_logprob``; null until computed). A score of another text is never
attached. Views are rewritten atomically, so they are always whole; they hold
exactly the current prompts, so the analysis reads them as fresh draws.

A dataset row is the logging policy's response, joined by ``prompt_id``, with
its judge score, its oracle label if it is in the oracle slice, its log-prob
under the logging policy (``base_policy_logprob``) and under every target
policy. Every joined value must have been computed from the response text in
the row: if any log holds a successful value computed from another text (a
response was regenerated and the later steps have not run), the build refuses
and says which files and prompts, rather than join mismatched values. Prompts
without a successful logging-policy response or judge score are left out
(the analysis needs both) and counted; a missing log-prob is ``null``, which
drops the row for that policy only. The views are refreshed first, so the
fresh draws beside the dataset are consistent with it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cje.io.atomic import write_jsonl_atomic
from cje.pipeline.draw_logprobs import current_logprob, draw_logprob_fields, draw_logs
from cje.pipeline.errors import PipelineError, StaleDataError
from cje.pipeline.records import (
    CurrentResponse,
    DataPaths,
    Prompt,
    Row,
    current_responses,
    failed,
    is_current,
    read_log,
    text_hash,
)
from cje.pipeline.runner import failure_cause
from cje.pipeline.scoring import wants_score
from cje.pipeline.settings import Roles, RunSettings

# ---- views -------------------------------------------------------------------


def current_score(log: Mapping[str, Row], prompt: Prompt, response: str) -> float | None:
    """The score in ``log`` computed from exactly this prompt and response, if any."""
    row = log.get(prompt.prompt_id)
    content = {"prompt_hash": prompt.prompt_hash, "response_hash": text_hash(response)}
    if not is_current(row, content):
        return None
    score = row.get("score")  # type: ignore[union-attr]
    return float(score) if isinstance(score, (int, float)) else None


def view_rows(policy: str, prompts: Sequence[Prompt], paths: DataPaths, roles: Roles,
              settings: RunSettings) -> list[dict[str, object]]:
    """The view of ``policy``: one row per prompt that has a generation row."""
    generations = read_log(paths.generations(policy))
    judge = read_log(paths.scores(policy, "judge"))
    oracle = read_log(paths.scores(policy, "oracle"))
    logprob_fields = (draw_logprob_fields(paths, roles, policy)
                      if settings.draw_logprobs and policy != roles.logging_policy else None)
    rows = []
    for prompt in prompts:
        generated = generations.get(prompt.prompt_id)
        if generated is None or generated.get("prompt_hash") != prompt.prompt_hash:
            continue
        row = dict(generated)
        response = row.get("response")
        if not isinstance(response, str):
            row["judge_score"] = None
            rows.append(row)
            continue
        row["response_hash"] = text_hash(response)
        row["judge_score"] = current_score(judge, prompt, response)
        # Inside the oracle slice, or labelled on request (--only): a current label is data either way.
        label = current_score(oracle, prompt, response)
        if label is not None or wants_score("oracle", policy, prompt.prompt_id, roles, settings):
            row["oracle_label"] = label
        if logprob_fields is not None:
            row.update(logprob_fields(prompt, response))
        rows.append(row)
    return rows


def refresh_views(paths: DataPaths, prompts: Sequence[Prompt], roles: Roles, settings: RunSettings,
                  policies: Sequence[str]) -> dict[str, list[dict[str, object]]]:
    """Rewrite the views of ``policies`` from their logs; returns their rows."""
    views = {}
    for policy in policies:
        views[policy] = view_rows(policy, prompts, paths, roles, settings)
        write_jsonl_atomic(paths.responses(policy), views[policy])
    return views


# ---- the dataset -------------------------------------------------------------


_EXAMPLES = 3


@dataclass(frozen=True)
class DatasetReport:
    """What the build wrote and left out."""

    path: Path
    rows: int
    left_out: Mapping[str, int]
    null_logprobs: Mapping[str, int]
    oracle_labels: int


@dataclass
class _StaleFinder:
    """Successful values whose recorded text hashes differ from the current texts."""

    found: dict[Path, list[str]] = field(default_factory=dict)

    def check(self, path: Path, log: Mapping[str, Row], responses: Sequence[CurrentResponse],
              wanted: Callable[[str], bool] = lambda prompt_id: True) -> None:
        stale = [r.prompt.prompt_id for r in responses
                 if wanted(r.prompt.prompt_id) and _is_stale(log.get(r.prompt.prompt_id), r)]
        if stale:
            self.found[path] = stale

    def raise_if_any(self) -> None:
        if not self.found:
            return
        lines = [f"  {path}: {len(ids)} rows (e.g. {', '.join(ids[:_EXAMPLES])})" for path, ids in self.found.items()]
        raise StaleDataError(
            "refusing to build the dataset: these values were computed from a different prompt or "
            "response text than the responses now hold (responses were regenerated or edited):\n"
            + "\n".join(lines)
            + "\nRun generate_arena_data.py again with the same options to recompute them."
        )


def _is_stale(row: Row | None, response: CurrentResponse) -> bool:
    return row is not None and not failed(row) and not is_current(row, response.content)


def _wants_oracle(prompt_id: str, *, policy: str, roles: Roles, settings: RunSettings) -> bool:
    return wants_score("oracle", policy, prompt_id, roles, settings)


def check_consistency(paths: DataPaths, prompts: Sequence[Prompt], roles: Roles, settings: RunSettings) -> None:
    """Raise ``StaleDataError`` if a value of another text would be joined."""
    finder = _StaleFinder()
    for policy in roles.policies:
        responses = current_responses(read_log(paths.generations(policy)), prompts)
        finder.check(paths.scores(policy, "judge"), read_log(paths.scores(policy, "judge")), responses)
        finder.check(paths.scores(policy, "oracle"), read_log(paths.scores(policy, "oracle")), responses,
                     functools.partial(_wants_oracle, policy=policy, roles=roles, settings=settings))
    logged = current_responses(read_log(paths.generations(roles.logging_policy)), prompts)
    for policy in roles.policies:
        finder.check(paths.logprobs(policy), read_log(paths.logprobs(policy)), logged)
    if settings.draw_logprobs:
        for log in draw_logs(roles, tuple(roles.policies)):
            path = paths.draw_logprobs(log.target, log.scorer)
            finder.check(path, read_log(path), current_responses(read_log(paths.generations(log.target)), prompts))
    finder.raise_if_any()


def build_dataset(paths: DataPaths, prompts: Sequence[Prompt], roles: Roles, settings: RunSettings, *,
                  write: bool = True) -> DatasetReport:
    """Check, refresh the views, and write ``cje_dataset.jsonl`` atomically
    (``write=False``: only say what would be written)."""
    check_consistency(paths, prompts, roles, settings)
    if write:
        views = refresh_views(paths, prompts, roles, settings, tuple(roles.policies))
    else:
        views = {p: view_rows(p, prompts, paths, roles, settings) for p in roles.policies}
    logged = {str(row["prompt_id"]): row for row in views[roles.logging_policy]}
    logprobs = {p: read_log(paths.logprobs(p)) for p in roles.policies}
    rows, left_out, nulls = [], Counter[str](), Counter[str]()
    for prompt in prompts:
        view = logged.get(prompt.prompt_id)
        reason = "no successful response" if view is None else _left_out_reason(view)
        if view is None or reason is not None:
            left_out[reason or "no successful response"] += 1
            continue
        values = {p: _logprob(log.get(prompt.prompt_id), view) for p, log in logprobs.items()}
        nulls.update(p for p, v in values.items() if v is None)
        rows.append(_dataset_row(view, values, roles))
    if not rows:
        counts = ", ".join(f"{why} {count}" for why, count in sorted(left_out.items()))
        raise PipelineError(f"no prompt has both a {roles.logging_policy} response and a judge score ({counts}); "
                            f"nothing to write to {paths.dataset}.{_why_nothing(paths, prompts, roles)}")
    if write:
        write_jsonl_atomic(paths.dataset, rows)
    labels = sum(1 for row in rows if row.get("oracle_label") is not None)
    return DatasetReport(paths.dataset, len(rows), dict(left_out), dict(nulls), labels)


def _why_nothing(paths: DataPaths, prompts: Sequence[Prompt], roles: Roles) -> str:
    """The most common failure of the logging policy's responses, as a hint."""
    log = read_log(paths.generations(roles.logging_policy))
    failures = [log[p.prompt_id] for p in prompts if p.prompt_id in log and failed(log[p.prompt_id])]
    if not failures:
        return " Run generate_arena_data.py (same options) to make the missing responses and scores."
    cause, count = Counter(failure_cause(row) for row in failures).most_common(1)[0]
    example = next(str(row.get("error")) for row in failures if failure_cause(row) == cause)
    return (f" {count} {roles.logging_policy} requests failed with {cause}: {example[:300]}. Fix that, then "
            "re-run the same command; python regenerate_failed_responses.py --dry-run lists every failure.")


def _left_out_reason(view: Row) -> str | None:
    if not isinstance(view.get("response"), str):
        return "no successful response"
    if view.get("judge_score") is None:
        return "no judge score"
    return None


def _logprob(row: Row | None, view: Row) -> float | None:
    content = {"prompt_hash": str(view["prompt_hash"]), "response_hash": str(view["response_hash"])}
    return current_logprob(row, content)


def _dataset_row(view: Row, values: Mapping[str, float | None], roles: Roles) -> dict[str, object]:
    row: dict[str, object] = {
        "prompt_id": view["prompt_id"],
        "prompt": view["prompt"],
        "response": view["response"],
        "response_hash": view["response_hash"],
        "base_policy_logprob": values[roles.logging_policy],
        "target_policy_logprobs": {p: values[p] for p in roles.target_policies},
        "judge_score": view["judge_score"],
    }
    if view.get("oracle_label") is not None:
        row["oracle_label"] = view["oracle_label"]
    return row
