import numpy as np
import pytest

from cje.inference.influence import influence_se, jackknife_variance, mean_term_influence
from cje.inference.intervals import Interval, clip_interval, satterthwaite_df, t_interval


def test_cluster_influence_accounts_for_rows_sharing_a_prompt():
    """Two identical rows per prompt carry no more information than one."""
    rng = np.random.default_rng(0)
    per_prompt = rng.normal(size=500)
    duplicated = np.repeat(per_prompt, 2)
    cluster = np.repeat(np.arange(500), 2)
    clustered = influence_se(mean_term_influence(duplicated, cluster, 500))
    naive = np.std(duplicated, ddof=1) / np.sqrt(duplicated.size)
    assert clustered == pytest.approx(np.std(per_prompt, ddof=1) / np.sqrt(500), rel=1e-3)
    assert clustered > 1.35 * naive


def test_jackknife_variance_is_scaled_sum_not_mean():
    replicates = np.array([1.0, 2.0, 3.0, 4.0])
    assert jackknife_variance(replicates) == pytest.approx(3 / 4 * 5.0)


def test_jackknife_of_a_mean_recovers_its_variance():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    groups = np.arange(1000) % 10
    replicates = np.array([x[groups != g].mean() for g in range(10)])
    assert jackknife_variance(replicates) == pytest.approx(np.var(x, ddof=1) / 1000, rel=0.6)


def test_satterthwaite_degrees_of_freedom():
    assert satterthwaite_df(1.0, 1000, 0.0, None) == pytest.approx(1000)
    assert satterthwaite_df(0.0, 1000, 1.0, 9) == pytest.approx(9)
    assert 9 < satterthwaite_df(1.0, 1000, 1.0, 9) < 1000


def test_intervals_widen_with_few_degrees_of_freedom_and_clip():
    narrow = t_interval(0.5, 0.1, float("inf"), 0.95)
    wide = t_interval(0.5, 0.1, 4, 0.95)
    assert wide.high - wide.low > 1.4 * (narrow.high - narrow.low)
    assert clip_interval(Interval(-0.2, 1.3)) == Interval(0.0, 1.0)
