"""Per-policy arrays that do not depend on which oracle labels are kept."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from cje.calibration.covariates import covariate_matrix
from cje.calibration.folds import folds_from_hash
from cje.calibration.isotonic import ScoreLevels, score_levels
from cje.calibration.weights import weights_from_log
from cje.data.keys import codes_by_first_appearance, look_up, positions
from cje.data.tables import Dataset, FreshTable

WEIGHT_FOLDS = 5


@dataclass(frozen=True)
class PolicyInputs:
    """Everything about one target policy that the estimators read.

    ``rows`` are the logged rows analysed for this policy (both log-probs
    present). The DR family works on ``dr_rows``, the analysed rows whose
    prompt also has fresh draws; ``dr_fresh_cluster`` maps each of
    ``dr_fresh`` (indices into the fresh draws) to its position in ``dr_rows``;
    ``dr_positions`` locates each of ``dr_rows`` within ``rows``.
    Direct estimators cluster fresh draws and labelled logged rows over the
    union of their prompts (``direct_*``).
    """

    policy: str
    rows: np.ndarray = field(repr=False)
    log_weight: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)
    weight_fold: np.ndarray = field(repr=False)
    n_dropped_logprob: int
    judge: ScoreLevels = field(repr=False)
    dr_judge: ScoreLevels = field(repr=False)
    fresh_levels: ScoreLevels = field(repr=False)
    fresh_judge: np.ndarray = field(repr=False)
    fresh_oracle: np.ndarray = field(repr=False)
    fresh_target_logprob: np.ndarray = field(repr=False)
    fresh_logger_logprob: np.ndarray = field(repr=False)
    dr_rows: np.ndarray = field(repr=False)
    dr_positions: np.ndarray = field(repr=False)
    dr_fresh: np.ndarray = field(repr=False)
    dr_fresh_cluster: np.ndarray = field(repr=False)
    direct_fresh_cluster: np.ndarray = field(repr=False)
    direct_logged_cluster: np.ndarray = field(repr=False)
    n_direct_clusters: int

    @property
    def has_fresh(self) -> bool:
        return self.fresh_judge.size > 0

    @property
    def n_dr_dropped(self) -> int:
        """Analysed prompts left out of DR for want of a fresh draw."""
        return int(self.rows.size - self.dr_rows.size)


@dataclass(frozen=True)
class PromptIndex:
    """Logged prompt ids, their hashes and grouped judge scores, built once
    per analysis and shared by every policy."""

    position: dict[Hashable, int] = field(repr=False)
    prompt_hash: np.ndarray = field(repr=False)
    judge: ScoreLevels = field(repr=False)
    covariates: tuple[str, ...] = ()


def prompt_index(dataset: Dataset, prompt_hash: np.ndarray, *, covariates: tuple[str, ...] = ()) -> PromptIndex:
    """``covariates`` name the fields a two-stage calibration reads; the
    judge scores of the logged rows and of every fresh draw carry them."""
    logged = dataset.logged
    matrix = covariate_matrix(logged.covariates, covariates, n_rows=logged.n, source=logged.source)
    judge = score_levels(logged.judge_score).with_covariates(matrix)
    return PromptIndex(positions(logged.prompt_id.tolist()), prompt_hash, judge, covariates)


def policy_inputs(dataset: Dataset, policy: str, prompts: PromptIndex) -> PolicyInputs:
    logged = dataset.logged
    complete = np.isfinite(logged.base_logprob) & np.isfinite(logged.target_logprob[policy])
    rows = np.flatnonzero(complete)
    log_weight = logged.target_logprob[policy][rows] - logged.base_logprob[rows]
    fresh = dataset.fresh.get(policy)
    fresh_pid = fresh.prompt_id if fresh is not None else np.empty(0, dtype=object)
    fresh_judge = fresh.judge_score if fresh is not None else np.empty(0)
    fresh_oracle = fresh.oracle_label if fresh is not None else np.empty(0)
    empty = np.empty(0)
    fresh_target_lp = fresh.target_logprob if fresh is not None and fresh.target_logprob is not None else empty
    fresh_logger_lp = fresh.logger_logprob if fresh is not None and fresh.logger_logprob is not None else empty

    logged_position = look_up(prompts.position, fresh_pid.tolist())
    position_in_rows = np.full(logged.n, -1)
    position_in_rows[rows] = np.arange(rows.size)
    position = np.where(logged_position >= 0, position_in_rows[logged_position], -1)
    dr_fresh = np.flatnonzero(position >= 0)
    dr_positions, dr_fresh_cluster = np.unique(position[dr_fresh], return_inverse=True)
    dr_rows = rows[dr_positions]

    # Direct clusters: logged prompts are 0..n-1; fresh prompts absent from the
    # logged file get the next codes.
    direct_fresh_cluster = logged_position.copy()
    unknown = logged_position < 0
    if unknown.any():
        extra = codes_by_first_appearance(fresh_pid[unknown].tolist())
        direct_fresh_cluster[unknown] = logged.n + extra
    n_clusters = logged.n + (int(direct_fresh_cluster.max()) + 1 - logged.n if unknown.any() else 0)
    return PolicyInputs(
        policy=policy,
        rows=rows,
        log_weight=log_weight,
        weight=weights_from_log(log_weight) if rows.size else np.empty(0),
        weight_fold=folds_from_hash(prompts.prompt_hash[rows], WEIGHT_FOLDS),
        n_dropped_logprob=int(logged.n - rows.size),
        judge=prompts.judge.take(rows),
        dr_judge=prompts.judge.take(dr_rows),
        fresh_levels=score_levels(fresh_judge).with_covariates(_fresh_covariates(fresh, prompts.covariates)),
        fresh_judge=fresh_judge,
        fresh_oracle=fresh_oracle,
        fresh_target_logprob=fresh_target_lp,
        fresh_logger_logprob=fresh_logger_lp,
        dr_rows=dr_rows,
        dr_positions=dr_positions,
        dr_fresh=dr_fresh,
        dr_fresh_cluster=dr_fresh_cluster.reshape(-1),
        direct_fresh_cluster=direct_fresh_cluster,
        direct_logged_cluster=np.arange(logged.n),
        n_direct_clusters=n_clusters,
    )


def _fresh_covariates(fresh: FreshTable | None, names: tuple[str, ...]) -> np.ndarray | None:
    if not names:
        return None
    if fresh is None:
        return np.empty((0, len(names)))
    return covariate_matrix(fresh.covariates, names, n_rows=fresh.n, source=fresh.source)
