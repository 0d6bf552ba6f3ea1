"""Where every file of a data directory lives.

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
      responses/{policy}_responses.jsonl
                                       a view, rewritten atomically at the end of each
                                       step: one row per current prompt, the response or
                                       the failure, judge_score / oracle_label merged in
                                       (these are the fresh draws the analysis reads)
      cje_dataset.jsonl                the analysis input
      .cje.lock                        held while a run writes here

The logs keep every row they ever received, including rows of prompts that a
later, smaller sample left out, so shrinking ``--n-samples`` by mistake loses no
paid-for work; the views and the dataset hold exactly the current prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cje.pipeline.errors import PipelineError

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
