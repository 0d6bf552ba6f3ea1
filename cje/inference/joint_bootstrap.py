"""Prompt-cluster bootstrap of several direct estimates at once.

Each replicate draws prompts with replacement over the union of every arm's
prompts (as multiplicities), refits the cross-fitted judge -> outcome map once
on the drawn labelled rows, and recomputes every arm's residual-corrected
direct estimate under those same multiplicities. Because all arms share each
replicate's prompts and refit, the replicates of two arms can be subtracted:
that is the bootstrap of their difference, with the prompts resampled jointly.
An arm is one policy's scored responses (its fresh draws, or the logged rows
for the logging policy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from cje.calibration.isotonic import ScoreLevels, cross_fit_isotonic


class _Predictor(Protocol):
    def predict(self, score: ScoreLevels) -> np.ndarray: ...


class Refitted(Protocol):
    """A cross-fitted map: its full fit and the training rows' out-of-fold predictions."""

    @property
    def full(self) -> _Predictor: ...

    @property
    def out_of_fold(self) -> np.ndarray: ...


Refit = Callable[[ScoreLevels, np.ndarray, np.ndarray, np.ndarray], Refitted]
"""(labelled scores, outcome, fold, weight) -> a cross-fitted map."""


def isotonic_refit(score: ScoreLevels, outcome: np.ndarray, fold: np.ndarray, weight: np.ndarray) -> Refitted:
    return cross_fit_isotonic(score, outcome, fold, weight=weight)


@dataclass(frozen=True)
class BootstrapArm:
    """One estimate's scored responses: their scores and their prompt's
    position in the shared cluster union."""

    name: str
    score: ScoreLevels = field(repr=False)
    cluster: np.ndarray = field(repr=False)


def joint_cluster_bootstrap(
    arms: Sequence[BootstrapArm],
    *,
    judge_score: ScoreLevels,
    outcome: np.ndarray,
    fold: np.ndarray,
    logged_cluster: np.ndarray,
    n_clusters: int,
    n_boot: int,
    rng: np.random.Generator,
    refit: Refit = isotonic_refit,
) -> np.ndarray:
    """Replicates of every arm's direct estimate, shape (replicates, arms).

    ``judge_score``, ``outcome``, ``fold`` and ``logged_cluster`` describe the
    labelled logged rows. A replicate in which the map cannot be refitted (a
    fold's complement drew no labelled row) or an arm drew none of its prompts
    is skipped for every arm alike, so the columns stay paired (vanishingly
    rare above the minimum label count).
    """
    rows = []
    for _ in range(n_boot):
        multiplicity = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters))
        label_w = multiplicity[logged_cluster].astype(float)
        arm_w = [multiplicity[arm.cluster].astype(float) for arm in arms]
        if any(w.sum() == 0 for w in arm_w) or not _refittable(label_w, fold):
            continue
        fit = refit(judge_score, outcome, fold, label_w)
        residual_part = np.sum(label_w * (outcome - fit.out_of_fold)) / label_w.sum()
        rows.append([np.sum(w * fit.full.predict(arm.score)) / w.sum() + residual_part
                     for arm, w in zip(arms, arm_w)])
    return np.asarray(rows, dtype=float).reshape(-1, len(arms))


def _refittable(weight: np.ndarray, fold: np.ndarray) -> bool:
    """Every fold's complement holds drawn labelled rows (with one fold: any row)."""
    folds = np.unique(fold)
    if weight.sum() == 0:
        return False
    return folds.size < 2 or all(weight[fold != k].sum() > 0 for k in folds)
