import numpy as np

from cje.analysis.registry import get_spec
from cje.diagnostics.gates import CalibrationFacts, Level, PolicyFacts, Status, Use, gate
from cje.diagnostics.judge import JudgeInformation
from cje.diagnostics.reasons import ReasonCode
from cje.diagnostics.transport import TransportCheck, transport_verdict
from cje.diagnostics.weights import WeightDiagnostics
from cje.estimators.result import Correction, Estimate
from cje.inference.intervals import Measurement

HEALTHY = WeightDiagnostics(n=1000, ess_raw=0.6, ess_calibrated=0.95, max_weight=4.0,
                            top1_share=0.03, hill_index=4.0, near_zero_share=0.0)
NO_OVERLAP = WeightDiagnostics(n=1000, ess_raw=0.004, ess_calibrated=0.85, max_weight=400.0,
                               top1_share=0.9, hill_index=0.5, near_zero_share=0.97)
INFORMATIVE = JudgeInformation(n_labels=200, n_judge_levels=15, n_label_values=150, kendall_tau=0.5, p_value=1e-9)
CALIBRATION = CalibrationFacts(calibrated=True, n_labels=200, out_of_fold_rmse=0.12, judge=INFORMATIVE)
SHIFTED = ("its judge scores are distributed differently (KS 0.30)",)
MAP = Use(map_used=True)


def check(estimate, weights, calibration=CALIBRATION, transport=None, label_support=None, *, use=MAP,
          **facts) -> Status:
    all_facts = PolicyFacts(weights=weights, calibration=calibration, transport=transport,
                            label_support=label_support, **facts)
    return gate(estimate, get_spec(estimate.estimator).gates, all_facts, use)


def _estimate(name, se=0.01, correction=None, own_labels=0):
    influence = np.random.default_rng(0).normal(0, se * np.sqrt(1000), 1000)
    return Estimate(estimator=name, policy="p", value=0.7, n=1000, se_sampling=se,
                    influence=influence, correction=correction, own_labels=own_labels)


def _verdict(gap, se, n=50):
    own = TransportCheck(gap, se, n, n - 1)
    return transport_verdict(own, None, margin=0.05, raw_ess=0.5, effective_labelled_rows=0)


def test_healthy_policy_is_ok():
    for name in ("direct", "calibrated-ips", "calibrated-dr-cpo"):
        assert check(_estimate(name), HEALTHY).level is Level.OK


def test_no_overlap_refuses_ips_even_when_calibrated_ess_looks_fine():
    status = check(_estimate("calibrated-ips"), NO_OVERLAP)
    assert status.refused and status.has(ReasonCode.NO_OVERLAP)


def test_no_overlap_only_warns_dr():
    assert check(_estimate("calibrated-dr-cpo"), NO_OVERLAP).level is Level.WARN


def test_failed_transport_refuses_every_estimator_that_used_the_map():
    failed = _verdict(-0.3, 0.03)
    for name in ("calibrated-dr-cpo", "direct", "tmle", "calibrated-ips", "stacked-dr"):
        status = check(_estimate(name), HEALTHY, transport=failed)
        assert status.refused and status.has(ReasonCode.TRANSPORT_FAILS), name
    assert check(_estimate("naive-direct"), HEALTHY, transport=failed, use=Use(map_used=False)).level \
        is Level.WARN
    # direct corrected with the policy's own labels does not rely on transport
    own = Use(map_used=True, own_labels=50)
    assert check(_estimate("direct", own_labels=50), HEALTHY, transport=failed, use=own).level is Level.OK
    # IPS on labelled outcomes (every row labelled) never touched the map
    assert check(_estimate("raw-ips"), HEALTHY, transport=failed, use=Use(map_used=False)).level is Level.OK


def test_unchecked_transport_warns_only_when_the_judge_sees_a_different_policy():
    vague = _verdict(0.0, 0.2, n=4)
    shifted = check(_estimate("direct"), HEALTHY, transport=vague, differences=SHIFTED)
    assert shifted.level is Level.WARN and shifted.has(ReasonCode.TRANSPORT_UNCHECKED)
    same = ()
    assert check(_estimate("direct"), HEALTHY, transport=vague, differences=same).level is Level.OK
    passed = _verdict(0.0, 0.005)
    assert check(_estimate("direct"), HEALTHY, transport=passed, differences=SHIFTED).level is Level.OK


def test_an_uninformative_judge_is_refused():
    flat = CalibrationFacts(True, 200, 0.2, JudgeInformation(200, 12, 150, 0.02, 0.4))
    constant_labels = CalibrationFacts(True, 200, 0.0, JudgeInformation(200, 12, 1, float("nan"), float("nan")))
    for facts in (flat, constant_labels):
        status = check(_estimate("calibrated-dr-cpo"), HEALTHY, calibration=facts)
        assert status.refused and status.has(ReasonCode.JUDGE_UNINFORMATIVE)
    assert "same value" in check(_estimate("direct"), HEALTHY, calibration=constant_labels).reasons[0].message


def test_support_gap_refuses_ips():
    gap = Measurement(value=0.88, se=0.01, n=1000)
    status = check(_estimate("raw-ips"), HEALTHY, mean_weight=gap)
    assert status.refused and status.has(ReasonCode.SUPPORT_GAP)
    assert check(_estimate("raw-ips"), HEALTHY, mean_weight=Measurement(0.99, 0.03, 1000)).level is Level.OK
    noisy = check(_estimate("raw-ips"), HEALTHY, mean_weight=Measurement(1.4, 0.05, 1000))
    assert noisy.level is Level.WARN and noisy.has(ReasonCode.WEIGHTS_INCONSISTENT)
    uncovered = check(_estimate("calibrated-ips"), HEALTHY, coverage=Measurement(0.4, 0.02, 1000))
    assert uncovered.refused and uncovered.has(ReasonCode.SUPPORT_GAP)
    # DR does not need the logger's support for its direct part
    assert check(_estimate("calibrated-dr-cpo"), HEALTHY, mean_weight=gap).level is Level.OK


def test_calibrated_ips_that_drifts_from_raw_ips_warns():
    drift = Measurement(value=0.04, se=0.01, n=1000)
    status = check(_estimate("calibrated-ips"), HEALTHY, weight_calibration_shift=drift)
    assert status.has(ReasonCode.WEIGHT_CALIBRATION_SHIFT)
    assert check(_estimate("calibrated-ips"), HEALTHY,
                 weight_calibration_shift=Measurement(0.004, 0.01, 1000)).level is Level.OK


def test_orthogonality_failure_warns():
    bad = Correction(value=0.08, se=0.01, n_labels=300)
    status = check(_estimate("calibrated-dr-cpo", correction=bad), HEALTHY)
    assert status.level is Level.WARN and status.has(ReasonCode.ORTHOGONALITY_FAILS)


def test_absurd_standard_errors_are_refused():
    assert check(_estimate("direct", se=1e-8), HEALTHY).refused
    assert check(_estimate("direct", se=0.3), HEALTHY).refused
    zero = check(_estimate("direct", se=0.0), HEALTHY)
    assert zero.refused and "exactly zero" in zero.reasons[0].message


def test_thin_label_support_warns():
    status = check(_estimate("direct"), HEALTHY, label_support=0.6)
    assert status.level is Level.WARN and status.has(ReasonCode.THIN_LABEL_SUPPORT)


def test_raw_weight_dr_with_low_overlap_is_marked_unreliable():
    low = WeightDiagnostics(n=1000, ess_raw=0.05, ess_calibrated=0.9, max_weight=20.0, top1_share=0.2,
                            hill_index=3.0, near_zero_share=0.1)
    assert check(_estimate("dr-cpo"), low).has(ReasonCode.LOW_OVERLAP)
    assert check(_estimate("calibrated-dr-cpo"), low).level is Level.OK
