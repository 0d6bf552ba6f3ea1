import numpy as np
import pytest
from scipy.special import expit, logit

from cje.estimators.direct import direct
from cje.estimators.tmle import fit_fluctuation, tmle


def test_fluctuation_solves_the_weighted_score_equation():
    rng = np.random.default_rng(0)
    prediction = rng.uniform(0.2, 0.8, 300)
    outcome = np.clip(prediction + 0.1 + rng.normal(0, 0.1, 300), 0, 1)
    weight = rng.exponential(1.0, 300)
    eps = fit_fluctuation(logit(prediction), outcome, weight)
    assert eps > 0
    assert np.sum(weight * (outcome - expit(logit(prediction) + eps))) == pytest.approx(0, abs=1e-8)


def test_targeting_moves_the_fresh_draws_so_tmle_is_not_direct():
    """Pitfall: a TMLE that targets only logged rows equals the direct method."""
    rng = np.random.default_rng(1)
    n = 1000
    fresh_prediction = rng.uniform(0.3, 0.7, n)
    prediction = rng.uniform(0.3, 0.7, n)
    outcome = np.clip(prediction + 0.15 + rng.normal(0, 0.05, n), 0, 1)  # model 0.15 too low
    labelled = np.ones(n, bool)
    uncorrected = direct(fresh_prediction, fresh_cluster=np.arange(n), residual=np.empty(0),
                         residual_cluster=np.empty(0, int), n_clusters=n,
                         policy="p", include_label_influence=False)
    targeted = tmle(fresh_prediction=fresh_prediction, fresh_cluster=np.arange(n), weight=np.ones(n),
                    outcome=outcome, outcome_prediction=prediction, outcome_mask=labelled,
                    policy="p", include_label_influence=True)
    assert targeted.value - uncorrected.value == pytest.approx(0.15, abs=0.02)
    assert targeted.correction.value == pytest.approx(0.15, abs=0.01)
    assert 0 <= targeted.value <= 1
