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


def test_kendall_tau_b_matches_scipy_with_ties():
    from scipy import stats

    from cje.diagnostics.judge import kendall_tau_b

    rng = np.random.default_rng(2)
    for n in (3, 12, 40, 500):
        for digits in (0, 1, 3):
            x = np.round(rng.uniform(0, 1, n), 1)
            y = np.round(x + rng.normal(0, 0.5, n), digits)
            tau, p_value = kendall_tau_b(x, y)
            expected = stats.kendalltau(x, y, alternative="greater", method="asymptotic")
            assert np.isclose(tau, expected.statistic, rtol=1e-12, equal_nan=True)
            assert np.isclose(p_value, expected.pvalue, rtol=1e-9, atol=1e-300, equal_nan=True)


def test_judge_shift_matches_scipy_statistic_and_asymptotic_p_value():
    from scipy import stats

    rng = np.random.default_rng(3)
    for n_fresh, n_logged in ((20, 20), (50, 80), (300, 1000)):
        fresh, logged = np.round(rng.beta(5, 2, n_fresh), 2), np.round(rng.beta(4, 2, n_logged), 2)
        shift, expected = judge_shift(fresh, logged), stats.ks_2samp(fresh, logged, method="asymp")
        assert np.isclose(shift.statistic, expected.statistic, rtol=1e-12)
        assert np.isclose(shift.p_value, expected.pvalue, rtol=0.05)
