import numpy as np
import pytest

from cje.estimators.ips import calibrated_snips, snips


def test_snips_value_and_self_normalised_influence():
    reward = np.array([0.2, 0.4, 0.9, 0.5])
    weight = np.array([0.5, 1.5, 3.0, 1.0])
    estimate = snips(reward, weight, policy="p")
    value = np.sum(weight * reward) / weight.sum()
    assert estimate.value == pytest.approx(value)
    expected = weight * (reward - value) / weight.mean()
    assert np.allclose(estimate.influence, expected)


def test_snips_se_matches_the_spread_of_the_estimator():
    """Pitfall: the unnormalised IF gives a different, wrong SE. The SNIPS IF's
    SE must match the Monte-Carlo spread of the self-normalised estimate."""
    rng = np.random.default_rng(0)
    values, ses = [], []
    for _ in range(400):
        log_w = rng.normal(0, 0.8, 800)
        weight = np.exp(log_w) / np.exp(log_w).mean()
        reward = np.clip(0.6 + 0.3 * np.tanh(log_w) + rng.normal(0, 0.2, 800), 0, 1)
        estimate = snips(reward, weight, policy="p")
        values.append(estimate.value)
        ses.append(estimate.se)
    assert np.mean(ses) == pytest.approx(np.std(values), rel=0.15)


def test_calibrated_snips_influence_falls_back_to_raw_weights_for_score_rewards():
    rng = np.random.default_rng(1)
    score = rng.random(500)
    reward = score**2
    weight = np.exp(rng.normal(0, 1, 500))
    calibrated = np.full(500, 1.0)
    estimate = calibrated_snips(reward, weight, calibrated_weight=calibrated, reward_given_score=reward, policy="p")
    assert estimate.value == pytest.approx(reward.mean())
    w = weight / weight.mean()
    assert np.allclose(estimate.influence, w * (reward - estimate.value))
