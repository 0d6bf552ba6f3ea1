import numpy as np
import pytest

from cje.diagnostics.transport import (
    Audit,
    TransportCheck,
    orthogonality_check,
    own_label_check,
    transport_verdict,
)


def test_own_labels_reveal_a_flattering_judge():
    rng = np.random.default_rng(0)
    prediction = rng.uniform(0.5, 0.9, 60)
    label = prediction - 0.3 + rng.normal(0, 0.1, 60)
    check = own_label_check(label, prediction, np.arange(60))
    assert check.mean_residual == pytest.approx(-0.3, abs=0.05)
    assert check.audit(0.05) is Audit.FAIL
    # a handful of labels is evidence too: the t interval is wide but still far from zero
    few = own_label_check(label[:5], prediction[:5], np.arange(5))
    assert few.n_labels == 5 and few.df == pytest.approx(4)
    assert few.audit(0.05) is Audit.FAIL
    assert own_label_check(label[:1], prediction[:1], np.arange(1)) is None


def test_the_calibrators_own_error_widens_the_check():
    rng = np.random.default_rng(1)
    prediction = rng.uniform(0.4, 0.8, 50)
    label = prediction + rng.normal(0, 0.1, 50)
    refits = prediction + rng.normal(0, 0.03, (10, 1))  # each refit shifts the whole map
    plain = own_label_check(label, prediction, np.arange(50))
    honest = own_label_check(label, prediction, np.arange(50), refit_predictions=refits)
    assert honest.se > plain.se * 1.3
    assert honest.se_calibration > 0 and honest.df < plain.df


def test_audit_states_against_the_margin():
    assert TransportCheck(0.01, 0.01, 100, 99).audit(0.05) is Audit.PASS
    assert TransportCheck(0.04, 0.02, 100, 99).audit(0.05) is Audit.INCONCLUSIVE
    assert TransportCheck(-0.12, 0.02, 100, 99).audit(0.05) is Audit.FAIL
    assert TransportCheck(0.0, float("nan"), 3, 2).audit(0.05) is Audit.INCONCLUSIVE


def test_orthogonality_check_weights_residuals_to_the_target():
    outcome = np.array([0.2, 0.8, 0.2, 0.8])
    prediction = np.full(4, 0.5)
    labelled = np.ones(4, bool)
    check = orthogonality_check(np.array([3.0, 1.0, 3.0, 1.0]), outcome, prediction, labelled)
    assert check.mean_residual == pytest.approx((3 * -0.3 + 0.3) / 4)


def test_verdict_combines_the_evidence():
    fail = TransportCheck(-0.3, 0.05, 8, 7)
    passing = TransportCheck(0.0, 0.005, 200, 199)
    vague = TransportCheck(0.0, 0.2, 4, 3)
    assert transport_verdict(fail, passing, margin=0.05, raw_ess=0.5, effective_labelled_rows=100).audit is Audit.FAIL
    assert transport_verdict(passing, None, margin=0.05, raw_ess=0, effective_labelled_rows=0).audit is Audit.PASS
    assert transport_verdict(vague, None, margin=0.05, raw_ess=0, effective_labelled_rows=0).audit \
        is Audit.INCONCLUSIVE
    assert transport_verdict(None, None, margin=0.05, raw_ess=0, effective_labelled_rows=0).audit \
        is Audit.NOT_CHECKED
    # a raw-weight pass is no evidence where the weights barely overlap
    low_overlap = transport_verdict(None, passing, margin=0.05, raw_ess=0.02, effective_labelled_rows=100)
    assert low_overlap.audit is Audit.INCONCLUSIVE
    # ...and too few effective labelled rows make it no evidence at all
    assert transport_verdict(None, passing, margin=0.05, raw_ess=0.5, effective_labelled_rows=3).audit \
        is Audit.NOT_CHECKED
