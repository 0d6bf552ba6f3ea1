"""The records of a data directory: where its files live, the stable hashes
that identify texts and settings, and whether a stored row is finished work.

::

    data/
      prompts.jsonl                    the sampled prompts (prompt_id, prompt, source)
      prompts.meta.json                what they were sampled from (to skip resampling)
      generations/{policy}_generations.jsonl
                                       append-only log of generation results, keyed by
                                       prompt_id (the last row of an id wins)
      scores/{policy}_judge.jsonl      append-only logs of judge scores and oracle
      scores/{policy}_oracle.jsonl     labels, each row with the hash of the response
                                       text it scored
      logprobs/{policy}_logprobs.jsonl append-only log: log-prob of the *base* response
                                       under {policy}, with that response's hash
      logprobs/{target}_draws_under_{policy}.jsonl
                                       append-only log: log-prob of {target}'s own response
                                       under {policy} ({target} itself and the logging
                                       policy), with that response's hash
      responses/{policy}_responses.jsonl
                                       a view, rewritten atomically at the end of each
                                       step: one row per current prompt, the response or
                                       the failure, judge_score / oracle_label merged in,
                                       and for a target policy its response's log-probs
                                       under itself and the logging policy
                                       (these are the fresh draws the analysis reads)
      cje_dataset.jsonl                the analysis input
      .cje.lock                        held while a run writes here

The logs keep every row they ever received, including rows of prompts that a
later, smaller sample left out, so shrinking ``--n-samples`` by mistake loses no
paid-for work; the views and the dataset hold exactly the current prompts.

Hashes are BLAKE2b (never Python's ``hash()``, which changes between
processes). A derived value (a score, a log-prob) records the hash of the
prompt and response texts it was computed from, so a changed text is noticed
by content.

A row is finished work when it exists, holds no error, was computed from the
texts it depends on *now* (the recorded ``prompt_hash`` / ``response_hash``
equal the hashes of the current prompt and response), and - in the default
``resume`` mode - with the current settings (``settings_hash``). A file that
merely exists proves nothing: a crash leaves partial files, and a regenerated
response leaves scores and log-probs of a text that is gone.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from cje.io.store import read_rows
from cje.pipeline.errors import PipelineError
from cje.pipeline.settings import ResumeMode

Row = Mapping[str, object]
LogRows = Mapping[str, Row]  # a log's latest row of every prompt_id

# ---- files ------------------------------------------------------------------

ScoreKind = Literal["judge", "oracle"]
RESPONSES_SUFFIX = "_responses.jsonl"


@dataclass(frozen=True)
class DataPaths:
    """The files of one data directory."""

    root: Path

    @property
    def prompts(self) -> Path:
        return self.root / "prompts.jsonl"

    @property
    def prompts_meta(self) -> Path:
        return self.root / "prompts.meta.json"

    @property
    def dataset(self) -> Path:
        return self.root / "cje_dataset.jsonl"

    def generations(self, policy: str) -> Path:
        return self.root / "generations" / f"{policy}_generations.jsonl"

    def responses(self, policy: str) -> Path:
        return self.root / "responses" / f"{policy}{RESPONSES_SUFFIX}"

    def scores(self, policy: str, kind: ScoreKind) -> Path:
        return self.root / "scores" / f"{policy}_{kind}.jsonl"

    def logprobs(self, policy: str) -> Path:
        return self.root / "logprobs" / f"{policy}_logprobs.jsonl"

    def draw_logprobs(self, target: str, policy: str) -> Path:
        """The log-probs of ``target``'s own responses under ``policy``."""
        return self.root / "logprobs" / f"{target}_draws_under_{policy}.jsonl"


def locate_responses_file(path: Path) -> tuple[DataPaths, str]:
    """The data directory and policy of ``<data>/responses/<policy>_responses.jsonl``."""
    if path.parent.name != "responses" or not path.name.endswith(RESPONSES_SUFFIX):
        raise PipelineError(
            f"{path}: expected a pipeline responses file, <data dir>/responses/<policy>{RESPONSES_SUFFIX}"
        )
    policy = path.name[: -len(RESPONSES_SUFFIX)]
    if not policy:
        raise PipelineError(f"{path}: the file name names no policy")
    return DataPaths(path.parent.parent), policy


# ---- texts and their hashes ------------------------------------------------

_DIGEST_BYTES = 16


def text_hash(text: str) -> str:
    """32 hex digits identifying ``text`` exactly."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_DIGEST_BYTES).hexdigest()


def settings_hash(*parts: object) -> str:
    """A hash of JSON-serialisable ``parts`` (the settings a value depends on)."""
    encoded = json.dumps(parts, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return text_hash(encoded)


def stable_uniform(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: a seeded coin that needs no state."""
    digest = hashlib.blake2b(
        json.dumps(parts, ensure_ascii=False).encode("utf-8"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def stable_int(*parts: object, bits: int = 31) -> int:
    """A non-negative integer below ``2**bits`` fixed by ``parts`` (a request seed)."""
    return int(stable_uniform(*parts) * 2.0**bits)


@dataclass(frozen=True)
class Prompt:
    """One sampled prompt."""

    prompt_id: str
    prompt: str

    @property
    def prompt_hash(self) -> str:
        return text_hash(self.prompt)


# ---- finished work, or work to (re)do ----------------------------------------


class Reason(StrEnum):
    """Why a row must be (re)done."""

    MISSING = "missing"
    FAILED = "failed"
    STALE = "stale"  # computed from a prompt or response text that has changed
    CHANGED = "settings changed"
    FORCED = "forced"


@dataclass(frozen=True)
class Expected:
    """What a finished row must record: the hashes of the texts it was computed
    from (``content``, always checked) and of its settings."""

    content: Mapping[str, str]
    settings_hash: str


def failed(row: Row) -> bool:
    """A failure row: the request or the reading of its reply failed for good."""
    return row.get("error") is not None


def reason_to_redo(row: Row | None, expected: Expected, mode: ResumeMode) -> Reason | None:
    """Why ``row`` must be redone under ``mode``, or None if it is finished work."""
    if mode is ResumeMode.FORCE:
        return Reason.FORCED
    if row is None:
        return Reason.MISSING
    if failed(row):
        return Reason.FAILED
    if any(row.get(name) != value for name, value in expected.content.items()):
        return Reason.STALE
    if mode is ResumeMode.RESUME and row.get("settings_hash") != expected.settings_hash:
        return Reason.CHANGED
    return None


def is_current(row: Row | None, content: Mapping[str, str]) -> bool:
    """A successful row computed from exactly these texts (settings aside):
    what the merge and the dataset build may use."""
    return row is not None and not failed(row) and all(row.get(k) == v for k, v in content.items())


@dataclass
class Tally:
    """Counts of rows kept and of rows to do, by reason."""

    done: int = 0
    todo: Counter[Reason] = field(default_factory=Counter)

    def add(self, reason: Reason | None) -> None:
        if reason is None:
            self.done += 1
        else:
            self.todo[reason] += 1

    @property
    def total(self) -> int:
        return self.done + sum(self.todo.values())

    @property
    def n_todo(self) -> int:
        return sum(self.todo.values())


# ---- reading logs --------------------------------------------------------------


def read_log(path: Path) -> dict[str, Row]:
    """The latest row of every id in the log at ``path`` (empty if there is none),
    read without changing the file: a torn last line and corrupt lines are
    skipped (the step that owns the log trims and quarantines them when it runs)."""
    return read_rows(path, key="prompt_id").rows


@dataclass(frozen=True)
class CurrentResponse:
    """A successful response to the current text of ``prompt``."""

    prompt: Prompt
    response: str

    @property
    def response_hash(self) -> str:
        return text_hash(self.response)

    @property
    def content(self) -> dict[str, str]:
        """The text hashes a value derived from this response must record."""
        return {"prompt_hash": self.prompt.prompt_hash, "response_hash": self.response_hash}


def current_responses(generations: Mapping[str, Row], prompts: Sequence[Prompt]) -> list[CurrentResponse]:
    """The prompts' successful responses, in prompt order. A row generated for
    another text of the prompt does not count. The hash is recomputed from the
    text, never read from the row, so an edited response is noticed."""
    found = []
    for prompt in prompts:
        row = generations.get(prompt.prompt_id)
        if row is None or failed(row) or row.get("prompt_hash") != prompt.prompt_hash:
            continue
        response = row.get("response")
        if isinstance(response, str):
            found.append(CurrentResponse(prompt, response))
    return found
