import numpy as np
import pytest

from cje.estimators.result import Estimate
from cje.estimators.stacking import simplex_min_variance, stack


def _estimate(name, value, influence, replicates=None):
    return Estimate(estimator=name, policy="p", value=value, n=influence.size,
                    se_sampling=float(np.std(influence, ddof=1) / np.sqrt(influence.size)),
                    influence=influence, replicates=replicates)


def test_simplex_weights_favour_the_less_variable_component():
    covariance = np.array([[1.0, 0.0], [0.0, 4.0]])
    assert np.allclose(simplex_min_variance(covariance), [0.8, 0.2])


def test_simplex_weights_stay_on_the_simplex_with_negative_optimum():
    # unconstrained optimum puts negative weight on the second component
    covariance = np.array([[1.0, 1.2], [1.2, 2.0]])
    alpha = simplex_min_variance(covariance)
    assert np.all(alpha >= 0) and alpha.sum() == pytest.approx(1)
    assert alpha[0] == pytest.approx(1.0)


def test_stack_combines_values_influence_and_replicates():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 500)
    b = rng.normal(0, 2, 500)
    stacked = stack([_estimate("x", 0.5, a, np.array([0.5, 0.51, 0.49])),
                     _estimate("y", 0.6, b, np.array([0.6, 0.62, 0.58]))], fold=np.arange(500) % 5)
    (_, wa), (_, wb) = stacked.stack_weights
    assert wa > wb and wa + wb == pytest.approx(1)
    assert stacked.value == pytest.approx(wa * 0.5 + wb * 0.6)
    fold = np.arange(500) % 5
    for k in range(5):
        rows = fold == k  # within a fold the influence is one convex combination of the components'
        coefficients = np.linalg.lstsq(np.vstack([a[rows], b[rows]]).T, stacked.influence[rows], rcond=None)[0]
        assert coefficients.sum() == pytest.approx(1) and (coefficients >= -1e-9).all()
    assert stacked.se_calibration > 0


def test_stack_weights_are_chosen_out_of_fold():
    """A component whose influence is near zero on one fold only gets its
    weight there from the other folds, not from its own luck."""
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 500)
    b = rng.normal(0, 1, 500)
    fold = np.arange(500) % 5
    b[fold == 0] *= 0.01
    stacked = stack([_estimate("x", 0.5, a), _estimate("y", 0.5, b)], fold=fold)
    own_fold = fold == 0
    # on fold 0 the weight on y was chosen from folds 1-4, where y is as noisy as x
    weights_fold0 = np.linalg.lstsq(np.vstack([a[own_fold], b[own_fold]]).T, stacked.influence[own_fold],
                                    rcond=None)[0]
    assert weights_fold0[1] < 0.8
