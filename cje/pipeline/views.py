"""The ``responses/{policy}_responses.jsonl`` views: logs merged into one row per prompt.

A view row is the current generation row of a prompt (the response, or the
failure) with its ``response_hash``, the ``judge_score`` computed from that
very text (``null`` if there is none yet) and, for prompts in the oracle
slice, the ``oracle_label`` computed from it. A score of another text is never
attached. Views are rewritten atomically, so they are always whole; they hold
exactly the current prompts, so the analysis reads them as fresh draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cje.io.atomic import write_jsonl_atomic
from cje.pipeline.hashing import text_hash
from cje.pipeline.logs import Row, read_log
from cje.pipeline.paths import DataPaths
from cje.pipeline.prompts import Prompt
from cje.pipeline.scoring import wants_score
from cje.pipeline.settings import Roles, RunSettings
from cje.pipeline.staleness import is_current


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
