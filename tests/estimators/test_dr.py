import numpy as np
import pytest

from cje.estimators.direct import direct
from cje.estimators.dr import doubly_robust


def _world(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    fresh_prediction = rng.uniform(0.3, 0.9, n)
    outcome = np.clip(rng.uniform(0.2, 0.9, n), 0, 1)
    prediction = outcome - 0.1 + rng.normal(0, 0.05, n)  # the outcome model is 0.1 too low
    labelled = rng.random(n) < 0.4
    return fresh_prediction, outcome, prediction, labelled


def test_uniform_weight_dr_is_direct_plus_residual_mean():
    fresh, outcome, prediction, labelled = _world()
    n = fresh.size
    estimate = doubly_robust(fresh_prediction=fresh, fresh_cluster=np.arange(n), weight=np.ones(n), outcome=outcome,
                             outcome_prediction=prediction, outcome_mask=labelled,
                             policy="p", estimator="dr-cpo", include_label_influence=True)
    residual = (outcome - prediction)[labelled]
    assert estimate.value == pytest.approx(fresh.mean() + residual.mean())
    assert estimate.correction.value == pytest.approx(residual.mean())
    same = direct(fresh, fresh_cluster=np.arange(n), residual=residual, residual_cluster=np.flatnonzero(labelled),
                  n_clusters=n, policy="p",
                  include_label_influence=True)
    assert estimate.value == pytest.approx(same.value)
    assert estimate.se == pytest.approx(same.se, rel=1e-6)


def test_correction_uses_weights_and_labels_only():
    fresh, outcome, prediction, labelled = _world()
    n = fresh.size
    weight = np.where(np.arange(n) % 2 == 0, 1.5, 0.5)
    estimate = doubly_robust(fresh_prediction=fresh, fresh_cluster=np.arange(n), weight=weight, outcome=outcome,
                             outcome_prediction=prediction, outcome_mask=labelled,
                             policy="p", estimator="dr-cpo", include_label_influence=False)
    w = weight[labelled]
    r = (outcome - prediction)[labelled]
    assert estimate.correction.value == pytest.approx(np.sum(w * r) / w.sum())
    # the label-dependent part is left to the jackknife: sampling IF is the direct part only
    assert np.allclose(estimate.influence, fresh - fresh.mean())


def test_fresh_draws_are_averaged_within_prompts():
    fresh = np.array([0.2, 0.4, 0.9])
    cluster = np.array([0, 0, 1])
    estimate = doubly_robust(fresh_prediction=fresh, fresh_cluster=cluster, weight=np.ones(2),
                             outcome=np.array([0.5, 0.5]), outcome_prediction=np.array([0.5, 0.5]),
                             outcome_mask=np.array([True, True]), policy="p", estimator="dr-cpo",
                             include_label_influence=True)
    assert estimate.value == pytest.approx((0.3 + 0.9) / 2)
