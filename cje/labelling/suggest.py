"""Which responses the oracle should label next.

Two kinds of label help an analysis:

* **logged responses** (the calibration slice): ``k`` unlabelled logged rows
  chosen region by region where a label cuts the calibration variance of the
  target policies' estimates most (:mod:`cje.labelling.allocation`), in a
  seeded random order within each region;
* **probe draws**: for each target policy whose transport check is
  inconclusive or was never made, as many of its own fresh draws as make the
  check decisive at the analysis's margin (:mod:`cje.planning.probe`), minus
  the labels it already has, in a seeded random order (a probe must be a
  random sample of the policy's responses).

Logged rows are suggested only where the dataset has no oracle label at all:
a label the analysis left out by ``--oracle-coverage`` costs nothing more.
When the region model predicts less than ``MIN_PREDICTED_GAIN`` over random
labels (the target policies' responses fall where the logger's do), the
suggestion is a seeded random sample instead, and says so: the model is rough,
and measured on the simulator a small predicted gain came out as no gain or a
loss, while large predicted gains held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.analysis.run import AnalysisResult
from cje.calibration.rewards import RewardModel
from cje.data.tables import Dataset, FreshTable
from cje.diagnostics.transport import Audit
from cje.errors import CJEError
from cje.labelling.allocation import (
    RegionWeights,
    greedy_allocation,
    random_allocation,
    region_edges,
    region_weights,
    score_regions,
)
from cje.planning.pilot import probe_inputs
from cje.planning.probe import probe_labels_needed

MIN_PREDICTED_GAIN = 0.15
_STREAM = 0x5EED_1ABE


@dataclass(frozen=True)
class Suggestion:
    """One response to label: a logged row (``kind == "logged"``, ``policy``
    the logging policy) or a target policy's fresh draw (``"probe"``)."""

    kind: str
    policy: str
    prompt_id: str
    draw_idx: int
    judge_score: float
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"prompt_id": self.prompt_id, "policy": self.policy, "draw_idx": self.draw_idx, "kind": self.kind,
                "judge_score": self.judge_score, "reason": self.reason}


@dataclass(frozen=True)
class LabelSuggestions:
    """The suggestions, and the summed calibration variance (arbitrary units)
    now, after the suggested labels, and after as many random ones."""

    logged: tuple[Suggestion, ...]
    probes: tuple[Suggestion, ...]
    variance_now: float
    variance_after: float
    variance_after_random: float
    notes: tuple[str, ...] = ()
    targeted: bool = True

    @property
    def predicted_gain_over_random(self) -> float:
        """Predicted share of the calibration variance the suggestions save
        over as many random labels."""
        if self.variance_after_random <= 0:
            return 0.0
        return 1 - self.variance_after / self.variance_after_random


def suggest_labels(result: AnalysisResult, dataset: Dataset, k: int, *, estimator: str, logging_policy: str = "base",
                   seed: int = 42, probe_power: float = 0.8, probes_within_k: bool = False) -> LabelSuggestions:
    """``k`` logged rows and the probe draws each undecided policy needs
    (``probes_within_k``: ``k`` is the whole budget; probes come first, the
    rest goes to logged rows)."""
    if k < 0:
        raise CJEError("the number of labels to suggest cannot be negative")
    model = None if result.rewards is None else result.rewards.model
    if model is None:
        raise CJEError(f"no calibration to improve: {result.reward_error}")
    # Its own stream: the same seed drives the analysis's other random choices.
    rng = np.random.default_rng([seed, _STREAM])
    notes: list[str] = []
    probes = _probe_suggestions(result, dataset, estimator=estimator, power=probe_power, rng=rng, notes=notes)
    if probes_within_k:
        probes = probes[:k]
        k -= len(probes)
    logged, weights, added = _logged_suggestions(result, dataset, model, k, logging_policy=logging_policy, rng=rng,
                                                 notes=notes)
    random_after = weights.variance(weights.labels + random_allocation(weights, int(added.sum())))
    after = weights.variance(weights.labels + added)
    targeted = random_after > 0 and 1 - after / random_after >= MIN_PREDICTED_GAIN
    if not targeted and logged:
        logged = _random_logged(dataset, model, len(logged), logging_policy, rng)
        notes.append(f"the target policies' responses fall on judge scores much as the logger's do (predicted gain "
                     f"{1 - after / random_after:.0%} < {MIN_PREDICTED_GAIN:.0%}): a random sample of the logged "
                     "responses is suggested, which is as good here")
    return LabelSuggestions(logged, probes, weights.variance(weights.labels), after, random_after, tuple(notes),
                            targeted)


def _random_logged(dataset: Dataset, model: RewardModel, k: int, logging_policy: str,
                   rng: np.random.Generator) -> tuple[Suggestion, ...]:
    logged = dataset.logged
    candidate = np.flatnonzero(~logged.label_available & ~model.outcome_mask)
    chosen = np.sort(rng.permutation(candidate)[:k])
    return tuple(Suggestion("logged", logging_policy, str(logged.prompt_id[i]), 0, float(logged.judge_score[i]),
                            "calibration: a random sample (no region is much short of labels)") for i in chosen)


def _logged_suggestions(result: AnalysisResult, dataset: Dataset, model: RewardModel, k: int, *, logging_policy: str,
                        rng: np.random.Generator,
                        notes: list[str]) -> tuple[tuple[Suggestion, ...], RegionWeights, np.ndarray]:
    logged = dataset.logged
    scored = {p: s.inputs.fresh_judge for p, s in result.policies.items()
              if s.inputs.has_fresh and (s.transport is None or s.transport.audit is not Audit.FAIL)}
    notes += [f"{p}: its transport check failed; labels on logged responses cannot fix its estimate"
              for p, s in result.policies.items() if s.transport is not None and s.transport.audit is Audit.FAIL]
    if not scored:
        raise CJEError("no target policy has fresh draws to weigh the calibration regions by")
    edges = region_edges(np.concatenate([logged.judge_score, *scored.values()]))
    labelled = model.outcome_mask
    candidate = ~logged.label_available & ~labelled
    weights = region_weights(logged_score=logged.judge_score, labelled=labelled,
                             residual=(model.outcome - model.out_of_fold)[labelled], candidate=candidate,
                             policy_scores=scored, edges=edges)
    added = greedy_allocation(weights, k)
    chosen = _pick_logged(logged.judge_score, candidate, edges, added, rng)
    if chosen.size < k:
        notes.append(f"only {chosen.size} logged responses without an oracle label are left")
    reason = "calibration: thin fit where the target policies' responses are dense"
    suggestions = tuple(Suggestion("logged", logging_policy, str(logged.prompt_id[i]), 0,
                                   float(logged.judge_score[i]), reason) for i in chosen)
    return suggestions, weights, added


def _pick_logged(score: np.ndarray, candidate: np.ndarray, edges: np.ndarray, added: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    region = score_regions(score, edges)
    picked = []
    for b in np.flatnonzero(added):
        rows = np.flatnonzero(candidate & (region == b))
        picked.append(rng.permutation(rows)[: added[b]])
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=int)


def _draw_index(fresh: FreshTable) -> np.ndarray:
    """Each draw's position among its prompt's draws (the pipeline's draw_idx)."""
    order: dict[str, int] = {}
    index = np.empty(fresh.n, dtype=int)
    for i, pid in enumerate(fresh.prompt_id):
        index[i] = order[pid] = order.get(pid, -1) + 1
    return index


def _probe_suggestions(result: AnalysisResult, dataset: Dataset, *, estimator: str, power: float,
                       rng: np.random.Generator, notes: list[str]) -> tuple[Suggestion, ...]:
    found: list[Suggestion] = []
    for inputs in probe_inputs(result, estimator):
        verdict = result.policies[inputs.policy].transport
        if verdict is None or verdict.audit in (Audit.PASS, Audit.FAIL):
            continue
        gap = 0.0 if inputs.observed_gap is None else inputs.observed_gap
        needed = probe_labels_needed(residual_sd=inputs.residual_sd, calibration_se=inputs.calibration_se,
                                     margin=verdict.margin, gap=gap, power=power)
        fresh = dataset.fresh[inputs.policy]
        unlabelled = np.flatnonzero(~np.isfinite(fresh.oracle_label))
        have = fresh.n - unlabelled.size
        if needed is None:
            notes.append(f"{inputs.policy}: no probe slice makes its transport check decisive at ±{verdict.margin:g} "
                         "with the current logger labels (the calibrator's own error is too large)")
            continue
        extra = max(needed - have, 0)
        draws = _draw_index(fresh)
        reason = (f"probe: transport {verdict.audit}; about {needed} own labels decide it at ±{verdict.margin:g} "
                  f"(has {have})")
        found += [Suggestion("probe", inputs.policy, str(fresh.prompt_id[i]), int(draws[i]),
                             float(fresh.judge_score[i]), reason)
                  for i in np.sort(rng.permutation(unlabelled)[:extra])]
    return tuple(found)
