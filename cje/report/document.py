"""The results document: every estimate, its status and reasons, every
diagnostic, the settings and where it all came from, as JSON-ready values.

The shape is the contract in ``results.schema.json`` (built by
:mod:`cje.report.schema`, which documents every field). Machine first: names
and codes, lowercase statuses, numbers or null (never a word standing in for
a number; the schema says when each field is null), and per-policy results
keyed by estimator with nothing inferred from a "primary" one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cje.analysis.policy import PolicySummary
from cje.analysis.registry import WeightsShown, get_spec
from cje.analysis.run import AnalysisResult, Failure, map_used
from cje.analysis.settings import AnalysisSettings
from cje.diagnostics.judge import JudgeInformation
from cje.diagnostics.transport import TransportCheck, TransportVerdict
from cje.estimators.result import Estimate
from cje.report.best import BestPolicy
from cje.report.comparisons import comparisons_json
from cje.report.flags import policy_flags
from cje.report.provenance import Provenance, versions

if TYPE_CHECKING:
    from cje.analysis.selfcheck import SelfCheckResult
    from cje.results import Results

SCHEMA_VERSION = "1.1"
"""Major: a field changed meaning or went away; minor: fields were added."""

INFERENCE_CODES = {
    "influence function": "influence-function",
    "influence function + oracle jackknife": "influence-function+oracle-jackknife",
    "cluster bootstrap (calibrator refit)": "cluster-bootstrap",
}


def number(value: float | None) -> float | None:
    """A finite float, else None (JSON has no NaN or infinity)."""
    return float(value) if value is not None and math.isfinite(value) else None


def analysis_document(results: Results) -> dict[str, Any]:
    return {**header(results.provenance, "analysis"), **run_section(results),
            "comparisons": comparisons_json(results.analysis.comparisons)}


def header(provenance: Provenance, document: str) -> dict[str, Any]:
    sources = provenance.sources
    return {
        "schema_version": SCHEMA_VERSION,
        "document": document,
        "created": provenance.created,
        "command_line": None if provenance.command_line is None else list(provenance.command_line),
        "versions": dict(versions()),
        "inputs": {
            "kind": sources.kind,
            "files": [asdict(f) for f in sources.files],
            "sha256": sources.sha256,
        },
    }


def run_section(results: Results) -> dict[str, Any]:
    """Everything about one run (the sweep document holds one per coverage)."""
    result = results.analysis
    best = results.best_policy()
    truth = results.truth
    return {
        "settings": settings_json(result.settings),
        "data": data_json(results),
        "rewards": rewards_json(result),
        "rewards_error": result.reward_error,
        "judge": judge_json(result.judge),
        "estimators": [estimator_json(name) for name in result.settings.estimators],
        "headline_estimator": best.estimator,
        "best_policy": best.policy,
        "best_policy_reason": best_json(best),
        "truth": None if truth is None else {p: float(v) for p, v in truth.items()},
        "policies": {policy: policy_json(result, policy, truth) for policy in result.policies},
        **({} if results.checked is None else {"self_check": self_check_json(results.checked)}),
    }


def self_check_json(checked: SelfCheckResult) -> dict[str, Any]:
    world = checked.world
    return {
        "n_replays": checked.n_replays,
        "ci_level": checked.ci_level,
        "planted": {p: {"shift": world.shift[p], "truth": world.truth[p]} for p in world.truth},
        "cells": [{
            "estimator": c.estimator, "policy": c.policy, "truth": c.truth, "n_computed": c.n_computed,
            "coverage": c.coverage, "flagged_share": 1.0 - c.ok_share,
            "ok_coverage": c.ok_coverage if c.ok_share > 0 else None, "bias": c.bias, "rmse": c.rmse,
            "mean_se": c.mean_se, "sd": c.sd if c.n_computed > 1 else None,
        } for c in checked.cells],
    }


def settings_json(settings: AnalysisSettings) -> dict[str, Any]:
    return {
        "estimators": list(settings.estimators),
        "oracle_coverage": settings.oracle_coverage,
        "seed": settings.seed,
        "ci_level": settings.ci_level,
        "inference": settings.inference,
        "n_bootstrap": settings.n_bootstrap,
        "mrdr_omega": settings.mrdr_omega,
        "jackknife_folds": settings.jackknife_folds,
        "calibration_folds": settings.calibration_folds,
        "variance_cap": settings.variance_cap,
        "transport_margin": settings.transport_margin,
        "multiplicity": settings.multiplicity,
        "calibration": settings.calibration,
        "calibration_covariates": list(settings.calibration_covariates),
        "policies": None if settings.policies is None else list(settings.policies),
    }


def data_json(results: Results) -> dict[str, Any]:
    dataset = results.dataset
    logged = dataset.logged
    return {
        "label": results.data_label,
        "n_logged_prompts": logged.n,
        "n_oracle_labels_available": int(logged.label_available.sum()),
        "judge_scale": dataset.judge_scale,
        "oracle_scale": dataset.oracle_scale,
        "policies": list(logged.policies),
        "notes": list(dataset.notes),
    }


def rewards_json(result: AnalysisResult) -> dict[str, Any] | None:
    rewards = result.rewards
    if rewards is None:
        return None
    calibrated = rewards.source == "calibrated"
    used = any(map_used(name, calibrated) for name in result.settings.estimators)
    return {
        "source": rewards.source,
        "n_available_labels": rewards.n_available_labels,
        "n_kept_labels": rewards.n_kept_labels,
        "n_outcomes": rewards.n_outcomes,
        "calibration_folds": rewards.n_folds,
        "out_of_fold_rmse": number(rewards.out_of_fold_rmse),
        "jackknife_groups": rewards.jackknife_groups,
        "map_used": used,
        "calibrator": rewards.model.calibrator.full.to_json(),
        "calibration": None if rewards.calibration is None else {
            "method": str(rewards.calibration.method), "requested": rewards.calibration.requested,
            "covariates": list(rewards.calibration.covariates),
            "monotone_rmse": number(rewards.calibration.monotone_rmse),
            "two_stage_rmse": number(rewards.calibration.two_stage_rmse),
        },
    }


def judge_json(judge: JudgeInformation | None) -> dict[str, Any] | None:
    if judge is None:
        return None
    return {
        "n_labels": judge.n_labels,
        "n_judge_levels": judge.n_judge_levels,
        "n_label_values": judge.n_label_values,
        "kendall_tau": number(judge.kendall_tau),
        "p_value": number(judge.p_value),
        "informative": judge.informative,
    }


def estimator_json(name: str) -> dict[str, Any]:
    spec = get_spec(name)
    return {"name": name, "family": str(spec.family), "summary": spec.summary,
            "components": list(spec.components), "headline_rank": spec.headline_rank}


def best_json(best: BestPolicy) -> dict[str, Any]:
    return {"code": str(best.code), "message": best.message, "estimator": best.estimator,
            "method": best.method, "runner_up": best.runner_up, "not_ranked": list(best.not_ranked)}


def policy_json(result: AnalysisResult, policy: str, truth: Mapping[str, float] | None) -> dict[str, Any]:
    summary = result.policies[policy]
    level = result.settings.ci_level
    return {
        "n_logged": summary.n_logged,
        "n_analysed": summary.n_analysed,
        "n_dropped_null_logprob": summary.n_dropped_logprob,
        "n_fresh_draws": summary.n_fresh,
        "n_without_fresh_draw": summary.n_dr_dropped if summary.n_fresh else None,
        "truth": None if truth is None or policy not in truth else float(truth[policy]),
        "weights": _weights_json(summary),
        "mean_raw_weight": _interval_json(summary.mean_weight, level, n=summary.mean_weight.n)
        if summary.mean_weight is not None else None,
        "target_coverage": None if summary.coverage is None else {
            "share": number(summary.coverage.value), "se": number(summary.coverage.se),
            "n_draws": summary.coverage.n},
        "weight_calibration_shift": _interval_json(summary.weight_calibration_shift, level,
                                                   n=summary.weight_calibration_shift.n)
        if summary.weight_calibration_shift is not None else None,
        "judge_shift": None if summary.judge_shift is None else {
            "ks_statistic": number(summary.judge_shift.statistic),
            "p_value": number(summary.judge_shift.p_value), "shifted": summary.judge_shift.shifted},
        "thin_label_support_share": number(summary.label_support),
        "transport": None if summary.transport is None else transport_json(summary.transport, level),
        "reasons": [{"code": str(g.code), "message": g.message, "estimators": list(g.estimators)}
                    for g in policy_flags(result, policy)],
        "estimates": {estimator: estimate_json(result, estimator, policy)
                      for estimator in result.settings.estimators if (estimator, policy) in result.results},
    }


def _weights_json(summary: PolicySummary) -> dict[str, Any] | None:
    weights = summary.weights
    if weights is None:
        return None
    return {
        "n": weights.n,
        "ess_raw": number(weights.ess_raw),
        "ess_calibrated": number(weights.ess_calibrated),
        "max_weight": number(weights.max_weight),
        "top1_share": number(weights.top1_share),
        "tail_index": number(weights.hill_index),
        "tail_index_undefined": None if math.isfinite(weights.hill_index) else
        ("no-tail" if math.isinf(weights.hill_index) else "too-few-rows"),
        "near_zero_share": number(weights.near_zero_share),
    }


def _interval_json(value: Any, level: float, *, n: int) -> dict[str, Any]:
    """A value with ``se`` and ``ci(level)`` (mean weight, a paired difference)."""
    low, high = value.ci(level)
    return {"value": number(value.value), "se": number(value.se), "ci_low": number(low), "ci_high": number(high),
            "n": n}


def transport_json(verdict: TransportVerdict, level: float) -> dict[str, Any]:
    return {
        "verdict": str(verdict.audit),
        "margin": verdict.margin,
        "based_on": list(verdict.based_on),
        "own_labels": _check_json(verdict.own_labels, level),
        "own_labels_verdict": str(verdict.own_labels_audit),
        "orthogonality": _check_json(verdict.orthogonality, level),
        "orthogonality_verdict": str(verdict.orthogonality_audit),
    }


def _check_json(check: TransportCheck | None, level: float) -> dict[str, Any] | None:
    if check is None:
        return None
    low, high = check.ci(level)
    return {"gap": number(check.mean_residual), "se": number(check.se), "ci_low": number(low),
            "ci_high": number(high), "n_labels": check.n_labels}


def estimate_json(result: AnalysisResult, estimator: str, policy: str) -> dict[str, Any]:
    outcome = result.results[(estimator, policy)]
    status = result.statuses[(estimator, policy)]
    entry: dict[str, Any] = {
        "status": str(status.level),
        "reason_codes": [str(r.code) for r in status.reasons],
    }
    if isinstance(outcome, Failure):
        return {**entry, **dict.fromkeys(ESTIMATE_NUMBERS), "inference": None, "ess": None, "ess_weights": None,
                "own_labels": 0, "n_dropped_no_fresh_draw": 0, "orthogonality": None, "stack_weights": None,
                "notes": [], "error": outcome.reason}
    return {**entry, **_estimate_numbers(outcome, result.settings.ci_level), **_estimate_context(result, outcome)}


ESTIMATE_NUMBERS = ("estimate", "se", "ci_low", "ci_high", "se_sampling", "se_calibration",
                    "calibration_variance_share", "degrees_of_freedom", "n")


def _estimate_numbers(estimate: Estimate, level: float) -> dict[str, Any]:
    low, high = estimate.ci(level)
    bootstrapped = estimate.bootstrap is not None
    return {
        "estimate": number(estimate.value),
        "se": number(estimate.se),
        "ci_low": number(low),
        "ci_high": number(high),
        "se_sampling": number(estimate.se_sampling),
        "se_calibration": None if bootstrapped else number(estimate.se_calibration),
        "calibration_variance_share": None if bootstrapped else number(estimate.calibration_share),
        "degrees_of_freedom": None if bootstrapped else number(estimate.df),
        "n": estimate.n,
    }


def _estimate_context(result: AnalysisResult, estimate: Estimate) -> dict[str, Any]:
    shown = get_spec(estimate.estimator).weights_shown
    weights = result.policies[estimate.policy].weights
    ess = None
    if weights is not None and shown is not WeightsShown.NONE:
        ess = number(weights.ess_calibrated if shown is WeightsShown.CALIBRATED else weights.ess_raw)
    correction = estimate.correction
    orthogonality = None
    if correction is not None:
        low, high = correction.ci(result.settings.ci_level)
        orthogonality = {"weighted_residual": number(correction.value), "se": number(correction.se),
                         "ci_low": number(low), "ci_high": number(high), "n_labels": correction.n_labels}
    return {
        "inference": INFERENCE_CODES[estimate.inference],
        "ess": ess,
        "ess_weights": None if shown is WeightsShown.NONE else str(shown),
        "own_labels": estimate.own_labels,
        "n_dropped_no_fresh_draw": estimate.n_dropped,
        "orthogonality": orthogonality,
        "stack_weights": dict(estimate.stack_weights) if estimate.stack_weights else None,
        "notes": list(estimate.notes),
        "error": None,
    }


def write_document(path: str | Path, document: Mapping[str, Any]) -> None:
    from cje.io.atomic import write_json_atomic

    write_json_atomic(path, document)
