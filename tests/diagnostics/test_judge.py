import numpy as np

from cje.diagnostics.judge import judge_information, judge_shift


def test_an_informative_judge_and_three_uninformative_ones():
    rng = np.random.default_rng(0)
    quality = rng.uniform(0, 1, 40)
    judge = np.round(quality + rng.normal(0, 0.1, 40), 1)
    assert judge_information(judge, quality).informative
    assert not judge_information(np.full(40, 0.7), quality).informative          # one level
    assert not judge_information(judge, np.full(40, 0.8)).informative            # one label value
    noise = np.round(rng.uniform(0, 1, 40), 1)
    unrelated = judge_information(noise, quality)
    assert not unrelated.informative and unrelated.p_value > 0.05


def test_judge_shift_sees_a_different_distribution():
    rng = np.random.default_rng(1)
    logged = np.round(rng.beta(5, 2, 2000), 2)
    same = np.round(rng.beta(5, 2, 2000), 2)
    other = np.round(rng.beta(2, 2, 2000), 2)
    assert not judge_shift(same, logged).shifted
    assert judge_shift(other, logged).shifted
    assert judge_shift(np.array([0.5]), logged) is None
