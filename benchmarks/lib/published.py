"""Published results to compare against (../shared/reference/paper-figures.md:
"Causal Judge Evaluation", arXiv 2512.11150). Numbers only.

Their benchmark: 4,961 real Arena prompts, truth = full-file oracle means,
oracle fractions 5-100% x n 250-5,000 x 50 seeds; metrics averaged over the
25 regimes; RMSE and coverage over clone, premium, parallel_universe_prompt;
ranking over the 4 targets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedRow:
    label: str  # their name for it
    rmse: float
    ci_coverage: float
    pairwise_acc: float
    kendall_tau: float
    runtime_s: float


# Keyed by our variant name; their covariate-augmented variants have no
# counterpart here and are left out.
MAIN_TABLE: dict[str, PublishedRow] = {
    "naive-direct": PublishedRow("naive-direct (raw judge mean)", 0.0828, 0.000, 0.909, 0.817, 0.4),
    "direct": PublishedRow("direct", 0.0223, 0.850, 0.918, 0.837, 0.7),
    "raw-ips": PublishedRow("SNIPS (raw weights, calibrated rewards)", 0.1596, 0.983, 0.383, -0.235, 0.3),
    "calibrated-ips": PublishedRow("calibrated-ips", 0.0246, 0.991, 0.471, -0.059, 0.3),
    "dr-cpo": PublishedRow("dr-cpo (raw weights)", 0.0459, 0.992, 0.783, 0.566, 3.1),
    "calibrated-dr-cpo": PublishedRow("calibrated-dr-cpo", 0.0224, 0.995, 0.909, 0.818, 3.2),
    "stacked-dr": PublishedRow("stacked-dr", 0.0224, 0.956, 0.919, 0.838, 8.9),
}

# Direct-mode 95% CI coverage by oracle fraction (5, 10, 25, 50%).
DIRECT_COVERAGE = {
    "cluster-robust only": (0.22, 0.30, 0.42, 0.56),
    "plus calibration jackknife": (0.80, 0.80, 0.84, 0.87),
    "prompt-cluster bootstrap (B=2000, calibrator refit)": (0.95, 0.96, 0.97, 0.97),
}
DIRECT_COVERAGE_FRACTIONS = (0.05, 0.10, 0.25, 0.50)

# Headline: pairwise ranking accuracy at n=5,000 with 5% oracle.
HEADLINE_PAIRWISE = {"n_prompts": 5000, "coverage": 0.05, "pairwise_acc": 0.987}
