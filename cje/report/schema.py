"""The results' JSON Schema: the contract of every results document.

``results.schema.json`` beside this module is generated from here
(``python -m cje.report.schema`` rewrites it; a test fails when it is stale),
so the lists of codes cannot drift from the code: reason codes come from
:class:`~cje.diagnostics.reasons.ReasonCode`, best-policy codes from
:class:`~cje.report.best.BestPolicyCode`, each with its description.

Conventions, stated once: every field is always present; ``null`` means "not
defined" and each nullable field says when; statuses and codes are lowercase
words; numbers are numbers (never a word such as ``inf``); maps keyed by
policy keep the dataset's order, maps keyed by estimator the run's order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cje.choices import INFERENCE_CHOICES, OMEGA_CHOICES
from cje.diagnostics.gates import Level
from cje.diagnostics.judge import INFORMATIVE_P_VALUE, SHIFT_P_VALUE, SHIFT_STATISTIC
from cje.diagnostics.overlap import MAX_COVERED_WEIGHT
from cje.diagnostics.reasons import DESCRIPTIONS
from cje.diagnostics.transport import Audit
from cje.diagnostics.weights import NEAR_ZERO
from cje.report.best import BEST_POLICY_DESCRIPTIONS
from cje.report.document import INFERENCE_CODES, SCHEMA_VERSION

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"

Schema = dict[str, Any]


def _type(kind: str, description: str, null_when: str | None = None, extra: Schema | None = None) -> Schema:
    """``kind`` (or null, saying when), with further JSON Schema keywords ``extra``."""
    if null_when is None:
        return {"type": kind, "description": description, **(extra or {})}
    return {"type": [kind, "null"], "description": f"{description} Null when {null_when}.", **(extra or {})}


def num(description: str, null_when: str | None = None) -> Schema:
    return _type("number", description, null_when)


def share(description: str, null_when: str | None = None) -> Schema:
    return _type("number", description, null_when, {"minimum": 0, "maximum": 1})


def count(description: str, null_when: str | None = None) -> Schema:
    return _type("integer", description, null_when, {"minimum": 0})


def text(description: str, null_when: str | None = None, extra: Schema | None = None) -> Schema:
    return _type("string", description, null_when, extra)


def one_of(description: str, choices: list[str]) -> Schema:
    return text(description, extra={"enum": choices})


def flag(description: str) -> Schema:
    return {"type": "boolean", "description": description}


def array(items: Schema, description: str) -> Schema:
    return {"type": "array", "items": items, "description": description}


def ref(name: str, description: str | None = None, null_when: str | None = None) -> Schema:
    target = {"$ref": f"#/$defs/{name}"}
    if null_when is not None:
        return {"anyOf": [target, {"type": "null"}], "description": f"{description or ''} Null when {null_when}."}
    return {**target, "description": description} if description else target


def obj(description: str, properties: dict[str, Schema], null_when: str | None = None) -> Schema:
    """An object whose every property is required and nothing else allowed."""
    schema = _type("object", description, null_when)
    return {**schema, "properties": properties, "required": list(properties), "additionalProperties": False}


def keyed(description: str, values: Schema) -> Schema:
    return {"type": "object", "description": description, "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": values}


def documented(description: str, meanings: dict[str, str], *, nullable: bool = False) -> Schema:
    """One of a fixed set of codes, each with what it means (or null)."""
    options: list[Schema] = [{"const": code, "description": meaning} for code, meaning in meanings.items()]
    return {"description": description, "oneOf": options + ([{"type": "null"}] if nullable else [])}


def interval(description: str, null_when: str) -> Schema:
    return obj(description, {
        "value": num("The point value."),
        "se": num("Its standard error.", "it cannot be computed (one row)"),
        "ci_low": num("Lower end of the interval at settings.ci_level.", "the standard error is null"),
        "ci_high": num("Upper end of the interval at settings.ci_level.", "the standard error is null"),
        "n": count("Rows it was computed from."),
    }, null_when)


def check(description: str) -> Schema:
    return obj(description, {
        "gap": num("Mean oracle label minus the calibrated prediction (positive: the calibration underrates "
                   "the policy)."),
        "se": num("Its standard error.", "it cannot be computed"),
        "ci_low": num("Lower end at settings.ci_level.", "se is null"),
        "ci_high": num("Upper end at settings.ci_level.", "se is null"),
        "n_labels": count("Oracle labels behind the check."),
    }, "this evidence does not exist for the policy")


# ---- definitions ---------------------------------------------------------------

def definitions() -> dict[str, Schema]:
    return {
        "reason_code": documented("Why an estimate is flagged.", {str(c): d for c, d in DESCRIPTIONS.items()}),
        "best_policy_code": documented("Why best_policy is a name or null.",
                                       {str(c): d for c, d in BEST_POLICY_DESCRIPTIONS.items()}),
        "status": documented("The estimate's status.", {
            str(Level.OK): "nothing that can be checked says the interval is wrong",
            str(Level.WARN): "usable with care: the reasons say what is doubtful",
            str(Level.REFUSE): "not to be used: the data cannot support this estimate (it is still shown, "
                               "never called best)",
        }),
        "audit": documented("A transport audit's result against the margin.", {
            str(Audit.PASS): "the 90% interval of the gap lies inside [-margin, margin]",
            str(Audit.FAIL): "the 90% interval of the gap lies wholly outside [-margin, margin]",
            str(Audit.INCONCLUSIVE): "the interval straddles the margin, or the check is not trusted here",
            str(Audit.NOT_CHECKED): "no such evidence",
        }),
        "reason": obj("One reason a policy's estimates are flagged, and which estimators it flags.", {
            "code": ref("reason_code"),
            "message": text("The reason in words, with this run's numbers."),
            "estimators": array(text("An estimator name."), "Every estimator of this policy the reason flags."),
        }),
        "estimate": estimate_schema(),
        "policy": policy_schema(),
        "run": run_schema(),
    }


def estimate_schema() -> Schema:
    not_computed = "the estimator could not run for this policy (status refuse, reason not-computed; see error)"
    return obj("One estimator's estimate of one policy's mean oracle score.", {
        "status": ref("status"),
        "reason_codes": array(ref("reason_code"), "The codes of the reasons behind the status, refusals first "
                                                 "(the words are in the policy's reasons)."),
        "estimate": num("Estimated mean oracle score (0-1).", not_computed),
        "se": num("Standard error: sampling and calibration parts combined (bootstrap: the replicates' SD).",
                  not_computed + ", or the standard error is not a number (reason se-not-a-number)"),
        "ci_low": num("Lower end of the interval at settings.ci_level, clipped to [0, 1].", "se is null"),
        "ci_high": num("Upper end of the interval at settings.ci_level, clipped to [0, 1].", "se is null"),
        "se_sampling": num("Standard error from the influence function, clustered by prompt.", not_computed),
        "se_calibration": num("Standard error due to calibrating on a finite oracle slice (oracle jackknife; 0 "
                              "when nothing was calibrated).", not_computed + ", or inference is cluster-bootstrap"),
        "calibration_variance_share": share("Share of the variance due to calibration.",
                                            not_computed + ", or inference is cluster-bootstrap"),
        "degrees_of_freedom": num("Satterthwaite degrees of freedom of the t interval.",
                                  not_computed + ", inference is cluster-bootstrap, or they are infinite (the "
                                  "interval then uses the normal quantile)"),
        "n": count("Prompts (clusters) behind the estimate.", not_computed),
        "inference": documented("How the uncertainty was computed. Null when " + not_computed + ".", {
            INFERENCE_CODES["influence function"]: "influence function only (nothing calibrated, or corrected with "
                                                   "the policy's own labels)",
            INFERENCE_CODES["influence function + oracle jackknife"]: "influence function plus a "
                                                                      "delete-one-oracle-fold jackknife that "
                                                                      "refits the calibration",
            INFERENCE_CODES["cluster bootstrap (calibrator refit)"]: "prompt-cluster bootstrap refitting the "
                                                                     "calibrator (percentile interval)",
        }, nullable=True),
        "ess": share("Effective sample size of the weights this estimator uses, as a share of rows.",
                     "the estimator uses no weights, or too few rows have log-probabilities"),
        "ess_weights": {"enum": ["raw", "calibrated", None],
                        "description": "Which weights ess describes. Null when the estimator uses no weights."},
        "own_labels": count("Oracle labels on the policy's own responses that corrected the estimate (0: none)."),
        "n_dropped_no_fresh_draw": count("Analysed prompts left out because they have no fresh draw (DR)."),
        "orthogonality": obj("The doubly robust correction: weighted mean of labelled residuals.", {
            "weighted_residual": num("The correction's value (far from 0: the outcome model is off)."),
            "se": num("Its standard error.", "it cannot be computed"),
            "ci_low": num("Lower end at settings.ci_level.", "se is null"),
            "ci_high": num("Upper end at settings.ci_level.", "se is null"),
            "n_labels": count("Labelled rows in the correction."),
        }, "the estimator is not doubly robust, or " + not_computed),
        "stack_weights": {"type": ["object", "null"], "additionalProperties": num("A component's weight."),
                          "description": "Weight of each component in a stacked estimate. Null when the "
                                         "estimator does not stack."},
        "notes": array(text("A note."), "What else the estimator reports about this estimate."),
        "error": text("Why the estimator could not run.", "the estimate was computed"),
    })


NO_WEIGHTS = "fewer than two logged rows have both log-probabilities"
NO_FRESH = "the policy has no fresh draws"


def policy_schema() -> Schema:
    return obj("One target policy: its rows, diagnostics, reasons and estimates.", {
        "n_logged": count("Logged rows in the dataset."),
        "n_analysed": count("Logged rows with both log-probabilities (the rows the weights use)."),
        "n_dropped_null_logprob": count("Logged rows dropped for a null log-probability of this policy or the "
                                        "logger."),
        "n_fresh_draws": count("Fresh draws (the policy's own responses) read."),
        "n_without_fresh_draw": count("Analysed prompts without a fresh draw (left out of DR).", NO_FRESH),
        "truth": num("The true value, from the truth input.", "no truth was given for this policy"),
        "weights": weights_schema(),
        "mean_raw_weight": interval("Mean raw weight p_target/p_logger over the logged rows (below 1: part of "
                                    "the policy's mass lies where the logger never goes).", NO_WEIGHTS),
        "target_coverage": obj(f"Share of the policy's own draws the logger produces at least "
                               f"{1 / MAX_COVERED_WEIGHT:.0%} as often.", {
                                   "share": share("The share.", "no draw has both log-probabilities"),
                                   "se": num("Its standard error.", "it cannot be computed"),
                                   "n_draws": count("Draws with both log-probabilities."),
                               }, "the fresh draws carry no log-probabilities"),
        "weight_calibration_shift": interval("Calibrated minus raw IPS on the same rows.",
                                             NO_WEIGHTS + ", or no rewards could be formed"),
        "judge_shift": obj("Two-sample Kolmogorov-Smirnov comparison of the policy's fresh judge scores with "
                           "the logger's.", {
                               "ks_statistic": share("Largest gap between the two distribution functions."),
                               "p_value": share("Asymptotic p-value."),
                               "shifted": flag(f"The statistic exceeds {SHIFT_STATISTIC:g} with p below "
                                               f"{SHIFT_P_VALUE:g}."),
                           }, NO_FRESH + " (or fewer than 2)"),
        "thin_label_support_share": share("Share of the policy's fresh responses at judge scores with few oracle "
                                          "labels nearby.", NO_FRESH + ", or no rewards"),
        "transport": transport_schema(),
        "reasons": array(ref("reason"), "Every distinct reason among this policy's flagged estimates."),
        "estimates": keyed("Each estimator's estimate, keyed by estimator name, in run order.", ref("estimate")),
    })


def weights_schema() -> Schema:
    return obj("Health of the importance weights (mean-one scale).", {
        "n": count("Rows."),
        "ess_raw": share("Effective sample size of the raw weights, as a share of rows."),
        "ess_calibrated": share("Effective sample size of the calibrated weights, as a share of rows."),
        "max_weight": num("Largest raw weight."),
        "top1_share": share("Share of the total weight carried by the heaviest 1% of rows."),
        "tail_index": num("Hill estimate of the raw weights' tail index (below 2: infinite variance).",
                          "undefined: see tail_index_undefined"),
        "tail_index_undefined": {"enum": ["no-tail", "too-few-rows", None],
                                 "description": "Why tail_index is null: no-tail (the largest weights are all "
                                                "equal), too-few-rows (fewer than 3). Null when tail_index is a "
                                                "number."},
        "near_zero_share": share(f"Share of rows with raw weight below {NEAR_ZERO:g}."),
    }, NO_WEIGHTS)


def transport_schema() -> Schema:
    return obj("Does the judge -> oracle calibration learned on the logger hold for this policy?", {
        "verdict": ref("audit", "Overall: any fail is a fail; else any pass a pass."),
        "margin": num("Largest bias still counted as transporting (settings.transport_margin)."),
        "based_on": array(text("One piece of evidence in words."), "The evidence behind the verdict."),
        "own_labels": check("Oracle labels on the policy's own responses (a probe slice)."),
        "own_labels_verdict": ref("audit"),
        "orthogonality": check("The logger's labelled residuals, raw-weighted to the policy."),
        "orthogonality_verdict": ref("audit"),
    }, NO_FRESH + ", or no rewards could be formed")


def run_schema() -> Schema:
    return obj("One analysis run: settings, data, rewards, estimates.", {
        "settings": settings_schema(),
        "data": data_schema(),
        "rewards": rewards_schema(),
        "rewards_error": text("Why no rewards could be formed.", "rewards were formed"),
        "judge": judge_schema(),
        "estimators": array(obj("An estimator of the run.", {
            "name": text("Its name."),
            "family": text("baseline, direct, ips or dr."),
            "summary": text("What it does, in words."),
            "components": array(text("An estimator name."), "Estimators it combines (empty for most)."),
            "headline_rank": count("Order among estimators a run may judge the best policy by (0 first).",
                                   "it is never the headline"),
        }), "The estimators run, in order."),
        "headline_estimator": text("The estimator best_policy is judged by (always named: nothing implicit)."),
        "best_policy": text("The best policy.", "best_policy_reason.code is not separated"),
        "best_policy_reason": obj("Why best_policy is what it is.", {
            "code": ref("best_policy_code"),
            "message": text("The verdict in words, with the numbers."),
            "estimator": text("The estimator it is judged by."),
            "method": one_of("How policies were compared: paired tests on the differences with the p-values "
                             "adjusted for multiplicity (Holm, BH or none), or non-overlapping marginal intervals "
                             "when the estimator has no paired comparisons.",
                             ["paired-tests-holm", "paired-tests-bh", "paired-tests-none",
                              "non-overlapping-intervals"]),
            "runner_up": text("The second-highest estimate's policy.", "fewer than two policies were ranked"),
            "not_ranked": array(text("A policy."), "Policies left out: their estimate was refused or failed."),
        }),
        "truth": {"type": ["object", "null"], "additionalProperties": num("A true value."),
                  "description": "True policy values given as input. Null when none was given."},
        "policies": keyed("Each target policy analysed, keyed by name, in the dataset's order.", ref("policy")),
    })


def settings_schema() -> Schema:
    return obj("The run's settings (those of analyze_dataset.py).", {
        "estimators": array(text("An estimator name."), "Estimators run, in the order reported."),
        "oracle_coverage": share("Share of the available oracle labels kept (seeded)."),
        "seed": {"type": "integer", "description": "Seed of every random choice."},
        "ci_level": share("Confidence level of every interval."),
        "inference": one_of("jackknife, or bootstrap (direct only).", list(INFERENCE_CHOICES)),
        "n_bootstrap": count("Bootstrap replicates (used with inference bootstrap)."),
        "mrdr_omega": one_of("MRDR fitting weights.", list(OMEGA_CHOICES)),
        "jackknife_folds": count("Oracle folds of the calibration jackknife."),
        "calibration_folds": count("Most cross-fitting folds of the calibration."),
        "variance_cap": num("Variance cap of the calibrated weights."),
        "transport_margin": share("Largest calibration bias on a policy still counted as transporting."),
        "multiplicity": one_of("Adjustment of the paired comparisons' p-values.", ["holm", "bh", "none"]),
        "calibration": one_of("The calibration asked for.", ["auto", "monotone", "two-stage"]),
        "calibration_covariates": array(text("A covariate field."), "Covariates of a two-stage calibration."),
        "policies": {"type": ["array", "null"], "items": text("A policy."),
                     "description": "Policies asked for. Null when every policy in the data was analysed."},
    })


def data_schema() -> Schema:
    return obj("The dataset.", {
        "label": text("Short name of the data (file and folder), as figures show it."),
        "n_logged_prompts": count("Logged rows (one per prompt)."),
        "n_oracle_labels_available": count("Logged rows with an oracle label before --oracle-coverage."),
        "judge_scale": text("Scale the judge scores were read on."),
        "oracle_scale": text("Scale the oracle labels were read on."),
        "policies": array(text("A policy."), "Target policies in the data, in its order."),
        "notes": array(text("A note."), "What the loader skipped or attached, in words."),
    })


def rewards_schema() -> Schema:
    return obj("How rewards were formed.", {
        "source": one_of("calibrated: the judge was calibrated to the kept labels; outcomes: every row has an "
                         "oracle label or reward, used as is.", ["calibrated", "outcomes"]),
        "n_available_labels": count("Oracle labels available."),
        "n_kept_labels": count("Oracle labels kept at this coverage."),
        "n_outcomes": count("Rows with an outcome (kept label or precomputed reward)."),
        "calibration_folds": count("Cross-fitting folds of the judge -> oracle map."),
        "out_of_fold_rmse": num("Out-of-fold RMSE of the map on the labelled rows.",
                                "it is undefined (no labelled rows)"),
        "jackknife_groups": count("Groups of the oracle jackknife (0: nothing calibrated)."),
        "map_used": flag("Whether any estimator of the run relied on the judge -> oracle map."),
        "calibrator": {"oneOf": [MONOTONE_MAP, TWO_STAGE_MAP],
                       "description": "The full-data judge -> oracle map: monotone in the judge score, or two-stage "
                                      "(an index of judge score and covariates, then monotone in the index)."},
        "calibration": obj("How the map was chosen (--calibration, --calibration-covariates).", {
            "method": one_of("The map used.", ["monotone", "two-stage"]),
            "requested": one_of("What was asked for.", ["auto", "monotone", "two-stage"]),
            "covariates": array(text("A covariate field."), "Covariates beside the judge score (empty: none)."),
            "monotone_rmse": num("Out-of-fold RMSE of the monotone map.", "it was not fitted"),
            "two_stage_rmse": num("Out-of-fold RMSE of the two-stage map.", "it was not fitted"),
        }, "no covariates were given (the map is monotone in the judge score)"),
    }, "no rewards could be formed (see rewards_error)")


MONOTONE_MAP: Schema = obj("A monotone map: linear between knots, flat beyond.", {
    "knots": array(num("A judge score (0-1)."), "Judge scores."),
    "values": array(num("A predicted oracle score."), "Predictions at the knots."),
    "increasing": flag("Always true for this map."),
})
TWO_STAGE_MAP: Schema = obj("A two-stage map: a linear index of the judge score (on its knots) and standardised "
                            "covariates, then a monotone map of the index.", {
    "kind": one_of("Always two-stage.", ["two-stage"]),
    "score_knots": array(num("A judge score."), "Knots of the judge score's part of the index."),
    "covariate_center": array(num("A centre."), "Each covariate's centre."),
    "covariate_scale": array(num("A scale."), "Each covariate's scale."),
    "index_coefficients": array(num("A coefficient."), "The index's coefficients."),
    "monotone": MONOTONE_MAP,
})


def judge_schema() -> Schema:
    return obj("Does the judge carry information about the oracle (on the kept labels)?", {
        "n_labels": count("Labels."),
        "n_judge_levels": count("Distinct judge scores among them."),
        "n_label_values": count("Distinct label values."),
        "kendall_tau": num("Kendall's tau-b of judge and label.", "fewer than 2 judge levels or label values"),
        "p_value": share("One-sided p-value against no positive association.", "kendall_tau is null"),
        "informative": flag(f"Two or more levels and values, and p below {INFORMATIVE_P_VALUE:g}."),
    }, "no rewards could be formed")


def header_properties(document: str) -> dict[str, Schema]:
    return {
        "schema_version": {"const": SCHEMA_VERSION, "description": "Version of this schema (major.minor)."},
        "document": {"const": document, "description": "Which kind of results document this is."},
        "created": text("When the document was made, ISO 8601 in UTC.", extra={"format": "date-time"}),
        "command_line": {"type": ["array", "null"], "items": {"type": "string"},
                         "description": "The command that made it, one argument per item. Null when it was "
                                        "made through the Python API."},
        "versions": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "Versions of Python and the packages behind the numbers."},
        "inputs": obj("What was read.", {
            "kind": one_of("files: dataset files; memory: rows handed over in memory.", ["files", "memory"]),
            "files": array(obj("One input file.", {
                "role": one_of("What it holds.", ["logged", "fresh-draws", "probe", "truth"]),
                "policy": text("The policy a fresh-draw or probe file belongs to.", "the file is not a policy's"),
                "path": text("The path as given."),
                "sha256": text("sha256 of its bytes.", extra={"pattern": "^[0-9a-f]{64}$"}),
                "bytes": count("Its size."),
            }), "Every file read, in reading order (empty for rows in memory)."),
            "sha256": text("One digest over all the data read (files in order, or the rows as canonical JSON); the "
                           "truth file is not part of it.", extra={"pattern": "^[0-9a-f]{64}$"}),
        }),
    }


def results_schema() -> Schema:
    run = run_schema()
    analysis = obj("The results of one analysis (analyze_dataset.py --output, Results.to_json()).",
                   {**header_properties("analysis"), **run["properties"]})
    analysis["properties"]["comparisons"] = COMPARISONS  # optional: not in "required"
    analysis["properties"]["self_check"] = SELF_CHECK
    sweep = obj("An oracle-coverage sweep: one run per coverage (analyze_dataset.py --oracle-coverage a,b,c).", {
        **header_properties("coverage-sweep"),
        "coverages": array(share("An oracle coverage."), "The coverages, in run order."),
        "runs": array(ref("run"), "One run per coverage, in the same order."),
    })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:arena-cje:results:{SCHEMA_VERSION}",
        "title": "arena-cje results",
        "description": CONVENTIONS,
        "oneOf": [{"$ref": "#/$defs/analysis"}, {"$ref": "#/$defs/coverage_sweep"}],
        "$defs": {**definitions(), "analysis": analysis, "coverage_sweep": sweep},
    }


def self_check_schema() -> Schema:
    cell = obj("One estimator and policy over every replay.", {
        "estimator": text("The estimator.", extra={"pattern": NAME_PATTERN}),
        "policy": text("The target policy.", extra={"pattern": NAME_PATTERN}),
        "truth": share("The planted true value the intervals are scored against."),
        "n_computed": count("Replays in which the estimate could be computed."),
        "coverage": share("Share of computed intervals that contain the planted truth."),
        "flagged_share": share("Share of computed estimates marked warn or refuse."),
        "ok_coverage": share("Share of the intervals marked ok that contain the planted truth.",
                             "no replay marked the estimate ok"),
        "bias": num("Mean estimate minus the planted truth."),
        "rmse": num("Root mean squared error against the planted truth."),
        "mean_se": num("Mean reported standard error."),
        "sd": num("Standard deviation of the estimates across replays.", "fewer than two replays computed it"),
    })
    return obj("Optional (analyze_dataset.py --self-check N): the analysis replayed N times on data shaped like "
               "this dataset with a planted truth, and how each estimator fared.", {
                   "n_replays": count("Replays run."),
                   "ci_level": share("Level of the intervals scored."),
                   "planted": {"type": "object", "description": "Per policy: the shift of the calibration planted "
                               "for it and its planted true value.",
                               "additionalProperties": obj("One policy's planted world.", {
                                   "shift": num("Shift of the judge -> oracle map for this policy."),
                                   "truth": share("The policy's planted true value."),
                               })},
                   "cells": array(cell, "One entry per estimator and policy."),
               })


SELF_CHECK = self_check_schema()
CONVENTIONS = (
    "Every field is always present; null means 'not defined' and each nullable field says when. Statuses and "
    "codes are lowercase words; numbers are numbers, never words such as 'inf'. Maps keyed by policy keep the "
    "dataset's order, maps keyed by estimator the run's order. schema_version is major.minor: a new minor "
    "version only adds fields (such as comparisons or self_check)."
)
def comparisons_schema() -> Schema:
    pair = obj("One pair: first minus second, over the prompts both were estimated on.", {
        "first": text("A policy ('logger' is the logging policy)."),
        "second": text("A policy ('logger' is the logging policy)."),
        "difference": num("first minus second."),
        "se": num("Standard error of the difference.", "it is undefined"),
        "se_sampling": num("Its influence-function part (prompts resampled jointly).", "it is undefined"),
        "se_calibration": num("Its oracle-jackknife part.", "it is undefined"),
        "degrees_of_freedom": num("Satterthwaite degrees of freedom.", "they are infinite"),
        "ci_low": num("Lower end of the interval of the difference."),
        "ci_high": num("Upper end of the interval of the difference."),
        "p_value": num("Two-sided p-value, unadjusted.", "it is undefined"),
        "p_adjusted": num("p-value adjusted across the tested family.", "the pair was not tested (a refused "
                                                                         "estimate)"),
        "tested": flag("Whether the pair is in the adjusted family (both estimates usable)."),
        "significant": flag("Whether the adjusted p-value is below the level."),
        "n_prompts": count("Prompts the difference rests on."),
        "inference": text("How its uncertainty was computed."),
    })
    return {"type": "array", "description": "Optional: paired comparisons of the policies, one entry per "
                                            "estimator with influence values.",
            "items": obj("One estimator's paired comparisons.", {
                "estimator": text("The estimator."),
                "adjustment": one_of("Multiplicity adjustment.", ["holm", "bh", "none"]),
                "ci_level": share("Level of the intervals."),
                "logger_name": text("The name the logging policy goes by in the pairs."),
                "pairs": array(pair, "Every pair, higher estimate first."),
                "best_policy": obj("The best-policy claim the paired tests support.", {
                    "policy": text("The highest non-refused estimate's policy.", "every estimate was refused"),
                    "established": flag("Whether it beats every other non-refused policy after adjustment."),
                    "tied_with": array(text("A policy."), "Policies it could not be separated from."),
                    "refused": array(text("A policy."), "Policies left out: refused or failed."),
                    "claim": text("The claim in words."),
                }),
            })}


COMPARISONS = comparisons_schema()


def schema_text() -> str:
    return json.dumps(results_schema(), indent=2, ensure_ascii=False) + "\n"


def load_schema() -> Schema:
    """The committed schema file."""
    loaded: Schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


if __name__ == "__main__":
    from cje.io.atomic import write_text_atomic

    write_text_atomic(SCHEMA_PATH, schema_text())
    print(f"wrote {SCHEMA_PATH}")
