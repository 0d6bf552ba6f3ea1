import numpy as np

from cje.analysis.registry import get_spec
from cje.diagnostics.gates import CalibrationFacts, PolicyFacts, Status, gate
from cje.diagnostics.transport import TransportCheck
from cje.diagnostics.weights import WeightDiagnostics
from cje.estimators.result import Correction, Estimate

HEALTHY = WeightDiagnostics(n=1000, ess_raw=0.6, ess_calibrated=0.95, max_weight=4.0,
                            top1_share=0.03, hill_index=4.0, near_zero_share=0.0)
NO_OVERLAP = WeightDiagnostics(n=1000, ess_raw=0.004, ess_calibrated=0.85, max_weight=400.0,
                               top1_share=0.9, hill_index=0.5, near_zero_share=0.97)
CALIBRATION = CalibrationFacts(calibrated=True, n_labels=200, out_of_fold_rmse=0.12)


def check(estimate, weights, calibration, transport, label_support=None) -> Status:
    facts = PolicyFacts(weights=weights, calibration=calibration, transport=transport,
                        label_support=label_support)
    return gate(estimate, get_spec(estimate.estimator).gates, facts)


def _estimate(name, se=0.01, correction=None):
    influence = np.random.default_rng(0).normal(0, se * np.sqrt(1000), 1000)
    return Estimate(estimator=name, policy="p", value=0.7, n=1000, se_sampling=se,
                    influence=influence, correction=correction)


def test_healthy_policy_is_ok():
    for name in ("direct", "calibrated-ips", "calibrated-dr-cpo"):
        assert check(_estimate(name), HEALTHY, CALIBRATION, None).level == "ok"


def test_no_overlap_refuses_ips_even_when_calibrated_ess_looks_fine():
    status = check(_estimate("calibrated-ips"), NO_OVERLAP, CALIBRATION, None)
    assert status.refused
    assert any("ESS" in reason for reason in status.reasons)


def test_no_overlap_only_warns_dr():
    status = check(_estimate("calibrated-dr-cpo"), NO_OVERLAP, CALIBRATION, None)
    assert status.level == "warn"


def test_failed_transport_refuses_calibrated_estimators():
    transport = TransportCheck(mean_residual=-0.3, se=0.03, n_labels=50)
    status = check(_estimate("calibrated-dr-cpo"), HEALTHY, CALIBRATION, transport)
    assert status.refused and "judge misreads it" in status.reasons[0]
    assert check(_estimate("naive-direct"), HEALTHY, None, transport).level == "warn"
    # direct uses the same labels to correct itself, so it is not refused
    assert check(_estimate("direct"), HEALTHY, CALIBRATION, transport).level == "ok"


def test_orthogonality_failure_warns():
    bad = Correction(value=0.08, se=0.01, n_labels=300)
    status = check(_estimate("calibrated-dr-cpo", correction=bad), HEALTHY, CALIBRATION, None)
    assert status.level == "warn" and "orthogonality" in status.reasons[0]


def test_absurd_standard_errors_are_refused():
    assert check(_estimate("direct", se=1e-8), HEALTHY, CALIBRATION, None).refused
    assert check(_estimate("direct", se=0.3), HEALTHY, CALIBRATION, None).refused


def test_thin_label_support_warns():
    status = check(_estimate("direct"), HEALTHY, CALIBRATION, None, 0.6)
    assert status.level == "warn" and "extrapolates" in status.reasons[0]
