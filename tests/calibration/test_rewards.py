import numpy as np

from cje.calibration.folds import hash_folds
from cje.calibration.rewards import RewardSource, fit_reward_model, logged_outcomes

RNG = np.random.default_rng(5)
N = 400
IDS = np.array([f"p{i}" for i in range(N)], dtype=object)
JUDGE = np.round(RNG.random(N) * 20) / 20
LABEL = np.clip(JUDGE**1.5 + RNG.normal(0, 0.1, N), 0, 1)
NO_REWARD = np.full(N, np.nan)
FOLD = hash_folds(IDS, 5)


def test_all_labelled_rows_use_the_labels_as_rewards():
    outcome, mask = logged_outcomes(LABEL, np.ones(N, bool), NO_REWARD)
    model = fit_reward_model(JUDGE, outcome, mask, precomputed=NO_REWARD, fold=FOLD, n_folds=5)
    assert model.source is RewardSource.OUTCOMES and not model.calibrated
    assert np.array_equal(model.reward, LABEL)


def test_partial_labels_are_calibrated_out_of_fold():
    kept = RNG.random(N) < 0.3
    outcome, mask = logged_outcomes(LABEL, kept, NO_REWARD)
    model = fit_reward_model(JUDGE, outcome, mask, precomputed=NO_REWARD, fold=FOLD, n_folds=5)
    assert model.calibrated
    assert np.allclose(model.reward[mask], model.out_of_fold[mask])
    assert np.allclose(model.reward[~mask], model.predict(JUDGE[~mask]))
    assert 0.05 < model.out_of_fold_rmse < 0.2


def test_precomputed_rewards_are_used_as_is():
    reward = np.where(np.arange(N) < 50, 0.123, np.nan)
    kept = RNG.random(N) < 0.3
    outcome, mask = logged_outcomes(LABEL, kept, reward)
    model = fit_reward_model(JUDGE, outcome, mask, precomputed=reward, fold=FOLD, n_folds=5)
    assert np.all(model.reward[:50] == 0.123)
    assert mask[:50].all()
