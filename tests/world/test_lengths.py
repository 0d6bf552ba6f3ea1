"""Response lengths in the simulator and the verbosity-biased world."""

import numpy as np

from cje.world.config import WorldConfig
from cje.world.draw import draw_candidates, log_policy
from cje.world.lengths import length_biased_world


def test_lengths_leave_every_other_draw_as_it_was():
    default = draw_candidates(WorldConfig(), np.random.default_rng(3), 200)
    shorter = draw_candidates(WorldConfig(length_log_mean=5.0), np.random.default_rng(3), 200)
    np.testing.assert_array_equal(default.judge_score, shorter.judge_score)
    np.testing.assert_array_equal(default.logits["premium"], shorter.logits["premium"])
    np.testing.assert_allclose(shorter.length, np.round(default.length * np.exp(-1.0)), atol=1.0)


def test_every_simulated_response_has_a_length(small_sim):
    lengths = small_sim.dataset.logged.covariates["response_length"]
    assert lengths.shape == (small_sim.dataset.logged.n,) and lengths.min() >= 1
    assert all("response_length" in f.covariates for f in small_sim.dataset.fresh.values())


def test_the_length_biased_judge_reverses_premium_and_parallel_universe_prompt():
    config = length_biased_world()
    candidates = draw_candidates(config, np.random.default_rng(1), 20_000)
    policies = ("clone", "premium", "parallel_universe_prompt")
    prob = {p: np.exp(log_policy(candidates, config, p)) for p in policies}
    truth = {p: (prob[p] * candidates.oracle_mean).sum(axis=1).mean() for p in policies}
    judged = {p: (prob[p] * candidates.judge_score).sum(axis=1).mean() for p in policies}
    length = {p: (prob[p] * np.log(candidates.length)).sum(axis=1).mean() for p in policies}
    assert truth["parallel_universe_prompt"] > truth["premium"]
    assert judged["premium"] > judged["parallel_universe_prompt"]
    assert length["premium"] > length["clone"] > length["parallel_universe_prompt"]
