import numpy as np
import pytest

from cje.data.load import load_dataset
from cje.world import WorldConfig, simulate_dataset, write_simulated_dataset
from cje.world.draw import draw_candidates, expected_clipped_normal, log_policy
from cje.world.truth import prompt_values


def test_same_seed_same_data_and_different_seed_different_data():
    a = simulate_dataset(200, seed=1)
    b = simulate_dataset(200, seed=1)
    c = simulate_dataset(200, seed=2)
    assert np.array_equal(a.dataset.logged.judge_score, b.dataset.logged.judge_score)
    assert not np.array_equal(a.dataset.logged.judge_score, c.dataset.logged.judge_score)


def test_log_probabilities_give_exact_importance_weights():
    """Clone weights are exactly one; every policy's weights average one over
    the logger's distribution (exactly, per prompt)."""
    config = WorldConfig()
    candidates = draw_candidates(config, np.random.default_rng(0), 500)
    base = log_policy(candidates, config, "base")
    assert np.allclose(np.exp(base).sum(axis=1), 1.0)
    for policy in config.target_policies:
        ratio = np.exp(log_policy(candidates, config, policy) - base)
        assert np.allclose((np.exp(base) * ratio).sum(axis=1), 1.0)
    assert np.allclose(log_policy(candidates, config, "clone"), base)


def test_truth_is_the_mean_oracle_label_of_the_policy():
    config = WorldConfig()
    rng = np.random.default_rng(3)
    candidates = draw_candidates(config, rng, 20_000)
    values = prompt_values(candidates, config, "premium")
    prob = np.exp(log_policy(candidates, config, "premium"))
    chosen = (rng.random((20_000, 1)) > np.cumsum(prob, axis=1)).sum(axis=1)
    labels = np.clip(candidates.oracle_center[np.arange(20_000), chosen]
                     + rng.normal(0, config.oracle_noise, 20_000), 0, 1)
    assert labels.mean() == pytest.approx(values.mean(), abs=0.005)


def test_expected_clipped_normal_matches_simulation():
    rng = np.random.default_rng(0)
    for mean in (0.02, 0.5, 0.97):
        draws = np.clip(mean + rng.normal(0, 0.1, 400_000), 0, 1)
        assert expected_clipped_normal(np.array([mean]), 0.1)[0] == pytest.approx(draws.mean(), abs=1e-3)


def test_the_fooled_judge_flatters_unhelpful():
    sim = simulate_dataset(2000, seed=4)
    fresh = sim.dataset.fresh["unhelpful"]
    assert fresh.judge_score.mean() - sim.truth["unhelpful"] > 0.2
    assert sim.truth["parallel_universe_prompt"] > sim.truth["clone"] > sim.truth["unhelpful"]


def test_written_files_load_back_identically(tmp_path):
    sim = simulate_dataset(150, seed=5, oracle_fraction=0.5, fresh_oracle_fraction=0.2, draws_per_prompt=2)
    path = write_simulated_dataset(sim, tmp_path)
    loaded = load_dataset(path)
    original = sim.dataset.logged
    assert np.array_equal(loaded.logged.prompt_id, original.prompt_id)
    assert np.array_equal(loaded.logged.judge_score, original.judge_score)
    assert np.array_equal(np.isnan(loaded.logged.oracle_label), np.isnan(original.oracle_label))
    for policy in original.policies:
        assert np.array_equal(loaded.logged.target_logprob[policy], original.target_logprob[policy])
        assert loaded.fresh[policy].n == 300
    assert (tmp_path / "truth.json").exists()
