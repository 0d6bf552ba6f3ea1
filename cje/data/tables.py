"""Columnar, validated, read-only views of a dataset and its fresh draws.

Loading turns JSONL into these tables once; everything downstream works on the
numpy columns. Scores and labels are already on the unit interval here: the
loader converted them from their declared or detected scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class LoggedTable:
    """One logged row per prompt, from the logging policy.

    ``oracle_label`` and ``reward`` hold NaN where a row has none.
    ``target_logprob[policy]`` holds NaN where the log-probability is null.
    ``line`` is each row's 1-based line number in ``source``.
    """

    prompt_id: np.ndarray
    judge_score: np.ndarray
    oracle_label: np.ndarray
    reward: np.ndarray
    base_logprob: np.ndarray
    target_logprob: Mapping[str, np.ndarray]
    source: str = "<memory>"
    line: np.ndarray | None = None
    prompt: np.ndarray | None = field(default=None, repr=False)
    response: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.prompt_id)
        columns = {
            "judge_score": self.judge_score,
            "oracle_label": self.oracle_label,
            "reward": self.reward,
            "base_logprob": self.base_logprob,
        }
        columns.update({f"target_logprob[{p}]": v for p, v in self.target_logprob.items()})
        for name, column in columns.items():
            if len(column) != n:
                raise ValueError(f"column {name} has {len(column)} rows, expected {n}")
        for name in ("prompt_id", "judge_score", "oracle_label", "reward", "base_logprob"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        frozen_targets = {p: _frozen(v) for p, v in self.target_logprob.items()}
        object.__setattr__(self, "target_logprob", MappingProxyType(frozen_targets))

    @property
    def n(self) -> int:
        return len(self.prompt_id)

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(self.target_logprob)

    @property
    def label_available(self) -> np.ndarray:
        return np.isfinite(self.oracle_label)


@dataclass(frozen=True)
class FreshTable:
    """Fresh responses of one target policy: one or more per prompt.

    ``target_logprob`` and ``logger_logprob`` are each draw's log-probability
    under the policy that wrote it and under the logging policy (NaN where
    unknown); together they say how much of the policy's mass the logger
    covers.
    """

    policy: str
    prompt_id: np.ndarray
    judge_score: np.ndarray
    oracle_label: np.ndarray
    source: str = "<memory>"
    target_logprob: np.ndarray | None = None
    logger_logprob: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.prompt_id)
        for name in ("target_logprob", "logger_logprob"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(n, np.nan))
        names = ("prompt_id", "judge_score", "oracle_label", "target_logprob", "logger_logprob")
        for name in names[1:]:
            if len(getattr(self, name)) != n:
                raise ValueError(f"fresh draws of {self.policy}: column {name} has wrong length")
        for name in names:
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def n(self) -> int:
        return len(self.prompt_id)


@dataclass(frozen=True)
class Dataset:
    """A logged table, the fresh draws found for its policies, and the scales
    the scores were read on."""

    logged: LoggedTable
    fresh: Mapping[str, FreshTable]
    judge_scale: str = "0-1"
    oracle_scale: str = "0-1"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fresh", MappingProxyType(dict(self.fresh)))
