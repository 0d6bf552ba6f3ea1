"""Self-check: how does an estimator behave on data shaped like yours?

The benchmarks say how the estimators behave in simulated worlds. This builds
a world from the user's own dataset and replays the analysis in it many times:

* the **planted truth**: the judge -> oracle map fitted on *all* the
  dataset's oracle labels is taken as the true map for the logger; a target
  policy whose own responses carry oracle labels gets that map shifted by
  the mean residual of its labels where they put it beyond the transport
  margin (so a policy the judge flatters stays flattered in the replay, and
  sampling noise is not planted as a flaw); each policy's true value is the mean over
  the dataset's prompts of its fresh draws' expected oracle label;
* each **replay** resamples prompts with replacement (with their logged row,
  log-probs and fresh draws), keeps which logged rows were labelled and the
  share of each policy's draws that were (drawn afresh), and draws synthetic
  oracle labels around the planted map with residuals taken from labelled
  rows of similar judge score (so the noise keeps its shape);
* the analysis runs on each replay with the user's settings, and the
  intervals are scored against the planted truth.

It reports, per estimator and policy, the empirical coverage, the share of
replays flagged, the bias and the RMSE. Pure computation: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cje.analysis.registry import Family, get_spec
from cje.analysis.run import Failure, analyze
from cje.analysis.settings import AnalysisSettings
from cje.calibration.folds import folds_from_hash, stable_hash
from cje.calibration.isotonic import IsotonicCalibrator, fit_isotonic
from cje.calibration.weights import weights_from_log
from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.diagnostics.overlap import DIFFERENT_COVERAGE_BELOW, SUPPORT_GAP_BELOW, mean_raw_weight, target_coverage
from cje.diagnostics.transport import (
    DEFAULT_MARGIN,
    Audit,
    TransportCheck,
    orthogonality_check,
    own_label_check,
)
from cje.errors import InsufficientLabelsError

MIN_LABELS = 10
REFIT_GROUPS = 10
NOISE_SE = 2.0
"""A logged-versus-fresh gap within this many standard errors is taken for noise."""
RESIDUAL_WINDOW = 30
"""Residuals are borrowed from the nearest this-many labelled rows by judge score."""


@dataclass(frozen=True)
class PlantedWorld:
    """The replay's truth: the logger's map, each policy's shift, its value."""

    calibration: IsotonicCalibrator
    shift: Mapping[str, float]
    truth: Mapping[str, float]
    residual_score: np.ndarray
    residual: np.ndarray
    ips_offset: Mapping[str, float] = field(default_factory=dict)

    def truth_for(self, estimator: str, policy: str) -> float:
        """The value an estimator should cover in the replay. Importance
        sampling reads the logged rows, whose weighted mean differs from the
        fresh draws' by this dataset's own sampling noise; the replay keeps
        that noise fixed, so it is removed from the IPS target unless it is
        too large to be noise (a support gap is not noise)."""
        offset = self.ips_offset.get(policy, 0.0) if get_spec(estimator).family is Family.IPS else 0.0
        return self.truth[policy] + offset

    def oracle(self, judge_score: np.ndarray, shift: float, rng: np.random.Generator) -> np.ndarray:
        """Synthetic oracle labels for responses with these judge scores."""
        return np.clip(self.calibration.predict(judge_score) + shift + self._residuals(judge_score, rng), 0, 1)

    def expected_oracle(self, judge_score: np.ndarray, shift: float) -> np.ndarray:
        """E[label | score]: the clipped map averaged over the score's residual window."""
        levels, codes = np.unique(judge_score, return_inverse=True)
        window = self._window(levels)
        centre = self.calibration.predict(levels)[:, None] + shift
        expected = np.clip(centre + self.residual[window], 0, 1).mean(axis=1)
        return expected[codes.reshape(-1)]

    def _window(self, score: np.ndarray) -> np.ndarray:
        """For each score, the indices of the nearest labelled residuals (by rank)."""
        n = self.residual.size
        width = min(RESIDUAL_WINDOW, n)
        start = np.clip(np.searchsorted(self.residual_score, score) - width // 2, 0, n - width)
        return start[:, None] + np.arange(width)[None, :]

    def _residuals(self, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        window = self._window(score)
        pick = rng.integers(0, window.shape[1], size=score.size)
        return self.residual[window[np.arange(score.size), pick]]


@dataclass(frozen=True)
class SelfCheckCell:
    """One estimator and policy over every replay."""

    estimator: str
    policy: str
    truth: float
    n_replays: int
    n_computed: int
    coverage: float
    ok_share: float
    ok_coverage: float
    bias: float
    rmse: float
    mean_se: float
    sd: float


@dataclass(frozen=True)
class SelfCheckResult:
    world: PlantedWorld
    cells: tuple[SelfCheckCell, ...]
    n_replays: int
    ci_level: float


@dataclass(frozen=True)
class Evidence:
    """What the analysis of the dataset concluded about a policy's transport:
    the verdict, and whether its responses differ from the logger's."""

    audit: Audit
    differs: bool


def plant_world(dataset: Dataset, *, evidence: Mapping[str, Evidence] | None = None,
                margin: float = DEFAULT_MARGIN) -> PlantedWorld:
    """The planted truth of the replay, from every oracle label available.

    A policy's map is shifted by the gap its evidence (own labels, else
    raw-weighted logged residuals) measures against the planted map: in full
    when that gap lies beyond ``margin`` (the audit's ``fail``); shrunk by its
    noise when the analysis could not establish transport for a policy whose
    responses differ from the logger's (the gap is then unknown, and the
    replay takes the data's best guess of it); not at all otherwise, so that
    sampling noise is not planted as a flaw.
    """
    logged = dataset.logged
    labelled = logged.label_available
    if labelled.sum() < MIN_LABELS:
        raise InsufficientLabelsError(
            f"a self-check needs at least {MIN_LABELS} oracle labels on logged rows; the data has "
            f"{int(labelled.sum())}")
    score, label = logged.judge_score[labelled], logged.oracle_label[labelled]
    calibration = fit_isotonic(score, label)
    order = np.argsort(score, kind="stable")
    residual_score, residual = score[order], (label - calibration.predict(score))[order]
    base = PlantedWorld(calibration, {}, {}, residual_score, residual)
    refits = _refits(logged)
    shift, truth, offset = {}, {}, {}
    for policy, fresh in dataset.fresh.items():
        facts = (evidence or {}).get(policy, Evidence(Audit.NOT_CHECKED, False))
        gap = _planted_gap(_gap_check(fresh, logged, calibration, refits), facts, margin)
        shift[policy] = _matching_shift(base, fresh, gap)
        truth[policy] = _prompt_mean(fresh, base.expected_oracle(fresh.judge_score, shift[policy]))[0]
        offset[policy] = _ips_noise(logged, fresh, base)
    return replace(base, shift=shift, truth=truth, ips_offset=offset)


def _matching_shift(world: PlantedWorld, fresh: FreshTable, gap: float) -> float:
    """The shift of the map that moves the expected label of the policy's
    labelled draws by ``gap`` (clipping to [0, 1] makes this differ from
    ``gap`` itself near the ends of the scale)."""
    own = np.isfinite(fresh.oracle_label)
    if gap == 0.0 or not own.any():
        return gap
    score = fresh.judge_score[own]
    target = float(world.expected_oracle(score, 0.0).mean()) + gap
    low, high = -1.0, 1.0
    for _ in range(50):
        middle = (low + high) / 2
        if world.expected_oracle(score, middle).mean() < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _prompt_mean(fresh: FreshTable, value: np.ndarray) -> tuple[float, float]:
    """Mean over prompts of each prompt's mean ``value``, and its SE."""
    _, codes = np.unique(fresh.prompt_id, return_inverse=True)
    per_prompt = np.bincount(codes, weights=value) / np.bincount(codes)
    return float(per_prompt.mean()), float(per_prompt.std(ddof=1) / np.sqrt(per_prompt.size))


def _ips_noise(logged: LoggedTable, fresh: FreshTable, world: PlantedWorld) -> float:
    """Weighted logged mean minus fresh mean of the logger's expected oracle
    label, when it looks like noise: within two standard errors of zero, and
    no support gap in sight (else 0: the gap is real and IPS pays for it)."""
    rows = np.isfinite(logged.base_logprob) & np.isfinite(logged.target_logprob[fresh.policy])
    if rows.sum() < 2:
        return 0.0
    log_weight = logged.target_logprob[fresh.policy][rows] - logged.base_logprob[rows]
    coverage = target_coverage(fresh.target_logprob, fresh.logger_logprob, fresh.prompt_id) \
        if fresh.target_logprob is not None and fresh.logger_logprob is not None else None
    if mean_raw_weight(log_weight).ci()[1] < SUPPORT_GAP_BELOW or (
            coverage is not None and coverage.value < DIFFERENT_COVERAGE_BELOW):
        return 0.0
    weight = weights_from_log(log_weight)
    expected_logged = world.expected_oracle(logged.judge_score[rows], 0.0)
    weighted = float(np.sum(weight * expected_logged) / np.sum(weight))
    weighted_se = float(np.std(weight * (expected_logged - weighted), ddof=1) / np.sqrt(rows.sum()))
    fresh_mean, fresh_se = _prompt_mean(fresh, world.expected_oracle(fresh.judge_score, 0.0))
    gap = weighted - fresh_mean
    return gap if abs(gap) <= NOISE_SE * float(np.hypot(weighted_se, fresh_se)) else 0.0


def _refits(logged: LoggedTable) -> tuple[IsotonicCalibrator, ...]:
    """The planted map refitted without each of ten groups of labels: its own
    error enters the gap's standard error, as in the analysis's transport check."""
    labelled = np.flatnonzero(logged.label_available)
    group = folds_from_hash(stable_hash(logged.prompt_id[labelled]), REFIT_GROUPS, stream=1)
    return tuple(fit_isotonic(logged.judge_score[labelled[group != g]], logged.oracle_label[labelled[group != g]])
                 for g in range(REFIT_GROUPS) if (group != g).sum() >= 2 and (group == g).any())


def _gap_check(fresh: FreshTable, logged: LoggedTable, calibration: IsotonicCalibrator,
               refits: tuple[IsotonicCalibrator, ...]) -> TransportCheck | None:
    """The gap between the policy's outcomes and the planted map: from its own
    labels (two or more), else the logger's labelled residuals weighted to it
    by the raw weights (however few rows carry the weight: where the policy
    differs from the logger, those rows are the only evidence there is)."""
    if np.isfinite(fresh.oracle_label).sum() >= 2:
        _, cluster = np.unique(fresh.prompt_id, return_inverse=True)
        refit_predictions = np.vstack([r.predict(fresh.judge_score) for r in refits]) if refits else None
        return own_label_check(fresh.oracle_label, calibration.predict(fresh.judge_score), cluster.reshape(-1),
                               refit_predictions=refit_predictions)
    rows = logged.label_available & np.isfinite(logged.base_logprob) & np.isfinite(logged.target_logprob[fresh.policy])
    if rows.sum() < 2:
        return None
    weight = weights_from_log(logged.target_logprob[fresh.policy][rows] - logged.base_logprob[rows])
    labelled = np.ones(int(rows.sum()), dtype=bool)
    return orthogonality_check(weight, logged.oracle_label[rows], calibration.predict(logged.judge_score[rows]),
                               labelled)


def _planted_gap(check: TransportCheck | None, facts: Evidence, margin: float) -> float:
    if check is None or not np.isfinite(check.se):
        return 0.0
    if check.audit(margin) is Audit.FAIL:
        return check.mean_residual
    if facts.audit is Audit.PASS or not facts.differs:
        return 0.0
    # Positive-part James-Stein: the data's best guess of a gap it cannot pin down.
    gap = check.mean_residual
    return 0.0 if gap == 0 else gap * max(0.0, 1.0 - check.se**2 / gap**2)


def replay(dataset: Dataset, world: PlantedWorld, rng: np.random.Generator) -> Dataset:
    """One resampled dataset with synthetic labels around the planted truth."""
    logged = dataset.logged
    pick = rng.integers(0, logged.n, size=logged.n)
    new_id = np.array([f"r{j}" for j in range(logged.n)], dtype=object)
    labels = np.where(logged.label_available[pick],
                      world.oracle(logged.judge_score[pick], 0.0, rng), np.nan)
    table = LoggedTable(
        prompt_id=new_id, judge_score=logged.judge_score[pick], oracle_label=labels,
        reward=np.full(logged.n, np.nan), base_logprob=logged.base_logprob[pick],
        target_logprob={p: v[pick] for p, v in logged.target_logprob.items()},
        covariates={c: v[pick] for c, v in logged.covariates.items()},
    )
    fresh = {policy: _replay_fresh(table_fresh, logged.prompt_id, pick, new_id=new_id, world=world, rng=rng)
             for policy, table_fresh in dataset.fresh.items()}
    return Dataset(table, fresh, dataset.judge_scale, dataset.oracle_scale)


def _replay_fresh(fresh: FreshTable, logged_id: np.ndarray, pick: np.ndarray, *, new_id: np.ndarray,
                  world: PlantedWorld, rng: np.random.Generator) -> FreshTable:
    """The fresh draws of the resampled prompts, each copy under its new id."""
    position = pd.Index(logged_id).get_indexer(fresh.prompt_id)
    order = np.argsort(position, kind="stable")
    order = order[position[order] >= 0]
    counts = np.bincount(position[order], minlength=logged_id.size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    per_copy = counts[pick]
    rows = order[np.repeat(starts[pick], per_copy) + _within(per_copy)]
    owner = np.repeat(np.arange(pick.size), per_copy)
    judge = fresh.judge_score[rows]
    # As many draws labelled as in the data, but which ones is drawn afresh: a
    # probe slice is a random subset, and freezing this dataset's subset would
    # freeze its luck too.
    labelled = rng.random(rows.size) < float(np.isfinite(fresh.oracle_label).mean())
    labels = np.where(labelled, world.oracle(judge, world.shift.get(fresh.policy, 0.0), rng), np.nan)
    return FreshTable(fresh.policy, new_id[owner], judge, labels,
                      target_logprob=None if fresh.target_logprob is None else fresh.target_logprob[rows],
                      logger_logprob=None if fresh.logger_logprob is None else fresh.logger_logprob[rows],
                      covariates={c: v[rows] for c, v in fresh.covariates.items()})


def _within(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def self_check(dataset: Dataset, settings: AnalysisSettings, *, n_replays: int,
               rng: np.random.Generator) -> SelfCheckResult:
    """Replay the analysis ``n_replays`` times on data shaped like ``dataset``.

    Each replay's oracle slice is drawn with its own seed, as a rerun with
    another ``--seed`` would; everything else is ``settings``.
    """
    actual = analyze(dataset, settings)
    evidence = {p: Evidence(s.transport.audit if s.transport is not None else Audit.NOT_CHECKED,
                            bool(s.differences)) for p, s in actual.policies.items()}
    world = plant_world(dataset, evidence=evidence, margin=settings.transport_margin)
    records: dict[tuple[str, str], list[tuple[float, float, float, float, bool]]] = {}
    for index in range(n_replays):
        data = replay(dataset, world, rng)
        result = analyze(data, replace(settings, seed=settings.seed + 1 + index))
        for (estimator, policy), outcome in result.results.items():
            if isinstance(outcome, Failure) or policy not in world.truth:
                continue
            low, high = outcome.ci(settings.ci_level)
            ok = result.statuses[(estimator, policy)].level == "ok"
            records.setdefault((estimator, policy), []).append((outcome.value, outcome.se, low, high, ok))
    cells = tuple(_cell(estimator, policy, world.truth_for(estimator, policy), rows, n_replays)
                  for (estimator, policy), rows in records.items())
    return SelfCheckResult(world, cells, n_replays, settings.ci_level)


def _cell(estimator: str, policy: str, truth: float, rows: list[tuple[float, float, float, float, bool]],
          n_replays: int) -> SelfCheckCell:
    value, se, low, high, ok = (np.array(column) for column in zip(*rows))
    covered = (low <= truth) & (truth <= high)
    ok = ok.astype(bool)
    return SelfCheckCell(
        estimator=estimator, policy=policy, truth=truth, n_replays=n_replays, n_computed=len(rows),
        coverage=float(covered.mean()), ok_share=float(ok.mean()),
        ok_coverage=float(covered[ok].mean()) if ok.any() else float("nan"),
        bias=float(value.mean() - truth), rmse=float(np.sqrt(np.mean((value - truth) ** 2))),
        mean_se=float(se.mean()), sd=float(value.std(ddof=1)) if value.size > 1 else float("nan"),
    )
