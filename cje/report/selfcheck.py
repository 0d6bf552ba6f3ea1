"""Plain-text view of a self-check: how the estimators fared on replays of the user's data."""

from __future__ import annotations

from cje.analysis.selfcheck import SelfCheckResult


def self_check_text(result: SelfCheckResult) -> str:
    world = result.world
    lines = [
        f"Self-check: {result.n_replays} replays of this dataset with a planted truth (prompts resampled, "
        "synthetic oracle labels around the judge calibration fitted on every label; a policy's own "
        "labels or raw-weighted residuals shift its map only where they clearly differ).",
        "  planted shift of the calibration per policy: "
        + ", ".join(f"{p} {s:+.3f}" for p, s in world.shift.items()),
        "",
    ]
    header = ["estimator", "policy", "truth", f"{result.ci_level:.0%} CI coverage", "flagged", "ok-CI coverage",
              "bias", "RMSE", "mean SE / SD"]
    rows = []
    for cell in result.cells:
        ratio = "-" if not cell.sd > 0 else f"{cell.mean_se / cell.sd:.2f}"
        ok_cov = "-" if cell.ok_share == 0 else f"{cell.ok_coverage:.0%}"
        rows.append([cell.estimator, cell.policy, f"{cell.truth:.3f}", f"{cell.coverage:.0%}",
                     f"{1 - cell.ok_share:.0%}", ok_cov, f"{cell.bias:+.4f}", f"{cell.rmse:.4f}", ratio])
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)
    lines.append("")
    lines.append("A coverage well below the nominal level means intervals on data shaped like this one are too "
                 "narrow; replays cannot see a calibration failure the data show no evidence of.")
    return "\n".join(lines) + "\n"
