"""Machine-readable results: every estimate, its diagnostics and the run settings."""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from cje.analysis.run import AnalysisResult, Failure
from cje.diagnostics.transport import TransportCheck, TransportVerdict
from cje.estimators.result import Estimate

VERSIONED_PACKAGES = ("arena-cje", "numpy", "scipy", "pandas", "scikit-learn")


def files_digest(paths: Iterable[Path]) -> str:
    """sha256 over the bytes of ``paths`` (in the given order), for provenance."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _finite(value: float) -> float | None:
    """JSON has no NaN or infinity; say 'null' instead of writing invalid JSON."""
    return float(value) if value is not None and math.isfinite(value) else None


def _estimate_json(estimate: Estimate, level: float) -> dict[str, object]:
    low, high = estimate.ci(level)
    entry: dict[str, object] = {
        "estimate": estimate.value,
        "se": _finite(estimate.se),
        "ci_low": low,
        "ci_high": high,
        "ci_level": level,
        "n": estimate.n,
        "se_sampling": _finite(estimate.se_sampling),
        "se_calibration": _finite(estimate.se_calibration),
        "calibration_variance_share": _finite(estimate.calibration_share),
        "degrees_of_freedom": _finite(estimate.df),
        "inference": estimate.inference,
        "n_dropped_no_fresh_draw": estimate.n_dropped,
        "notes": list(estimate.notes),
    }
    if estimate.correction is not None:
        c_low, c_high = estimate.correction.ci(level)
        entry["orthogonality"] = {
            "weighted_residual": estimate.correction.value,
            "se": _finite(estimate.correction.se),
            "ci_low": _finite(c_low),
            "ci_high": _finite(c_high),
            "n_labels": estimate.correction.n_labels,
        }
    if estimate.stack_weights:
        entry["stack_weights"] = dict(estimate.stack_weights)
    return entry


def _check_json(check: TransportCheck | None, level: float) -> dict[str, object] | None:
    if check is None:
        return None
    low, high = check.ci(level)
    return {"gap": check.mean_residual, "se": _finite(check.se), "ci_low": _finite(low),
            "ci_high": _finite(high), "n_labels": check.n_labels}


def _transport_json(verdict: TransportVerdict, level: float) -> dict[str, object]:
    return {
        "verdict": str(verdict.audit),
        "margin": verdict.margin,
        "based_on": list(verdict.based_on),
        "own_labels": _check_json(verdict.own_labels, level),
        "own_labels_verdict": str(verdict.own_labels_audit),
        "orthogonality": _check_json(verdict.orthogonality, level),
        "orthogonality_verdict": str(verdict.orthogonality_audit),
    }


def _policy_json(result: AnalysisResult, policy: str) -> dict[str, Any]:
    summary = result.policies[policy]
    estimates: dict[str, dict[str, object]] = {}
    entry: dict[str, Any] = {
        "n_logged": summary.n_logged,
        "n_analysed": summary.n_analysed,
        "n_dropped_null_logprob": summary.n_dropped_logprob,
        "n_fresh_draws": summary.n_fresh,
        "weights": None if summary.weights is None
        else {k: _finite(v) for k, v in asdict(summary.weights).items()},
        "transport": None,
        "estimates": estimates,
    }
    if summary.transport is not None:
        entry["transport"] = _transport_json(summary.transport, result.settings.ci_level)
    for (estimator, p), outcome in result.results.items():
        if p != policy:
            continue
        status = result.statuses[(estimator, p)]
        if isinstance(outcome, Failure):
            body: dict[str, object] = {"estimate": None, "error": outcome.reason}
        else:
            body = _estimate_json(outcome, result.settings.ci_level)
        body["status"] = status.level
        body["reasons"] = [{"code": str(r.code), "message": r.message} for r in status.reasons]
        estimates[estimator] = body
    return entry


def analysis_json(
    result: AnalysisResult,
    *,
    data_files: Mapping[str, str],
    data_hash: str,
    truth: Mapping[str, float] | None,
    primary: str,
    best_policy: str,
) -> dict[str, object]:
    """The whole run as one JSON-ready dict. Each policy's top level also
    carries the ``primary`` estimator's numbers, so a reader who wants one
    estimate per policy finds it at ``policies.<name>.estimate``."""
    settings = result.settings
    rewards = result.rewards
    document: dict[str, object] = {
        "settings": {
            "estimators": list(settings.estimators),
            "oracle_coverage": settings.oracle_coverage,
            "seed": settings.seed,
            "ci_level": settings.ci_level,
            "inference": settings.inference,
            "mrdr_omega": settings.mrdr_omega,
            "jackknife_folds": settings.jackknife_folds,
            "variance_cap": settings.variance_cap,
        },
        "data": {"files": dict(data_files), "sha256": data_hash},
        "versions": versions(),
        "rewards": None if rewards is None else {
            "source": rewards.source,
            "n_available_labels": rewards.n_available_labels,
            "n_kept_labels": rewards.n_kept_labels,
            "n_outcomes": rewards.n_outcomes,
            "calibration_folds": rewards.n_folds,
            "out_of_fold_rmse": rewards.out_of_fold_rmse,
            "jackknife_groups": rewards.jackknife_groups,
            "calibrator": rewards.model.calibrator.full.to_json(),
        },
        "reward_error": result.reward_error,
        "primary_estimator": primary,
        "best_policy": best_policy,
        "truth": None if truth is None else dict(truth),
    }
    policies: dict[str, object] = {}
    for policy in result.policies:
        entry = _policy_json(result, policy)
        entry.update(entry["estimates"][primary])
        entry["estimator"] = primary
        policies[policy] = entry
    document["policies"] = policies
    return document
