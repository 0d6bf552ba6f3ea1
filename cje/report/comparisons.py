"""Paired policy comparisons as text and as JSON, and the best-policy claim."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from cje.analysis.comparisons import LOGGER, BestPolicy, EstimatorComparisons, PairedComparison

ADJUSTMENT_WORDS = {"holm": "Holm-adjusted", "bh": "BH-adjusted (false discovery rate)", "none": "unadjusted"}


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _name(policy: str) -> str:
    return "logger (logging policy)" if policy == LOGGER else policy


def _verdict(pair: PairedComparison, alpha: float) -> str:
    d = pair.difference
    if pair.p_adjusted is None:
        return "not tested (refused estimate)"
    if pair.significant(alpha):
        return f"{d.first} higher" if d.value > 0 else f"{d.second} higher"
    return "not separated"


def comparisons_table(comparisons: EstimatorComparisons, truth: Mapping[str, float] | None = None) -> str:
    """One row per pair: difference, SE, interval, raw and adjusted p, verdict."""
    level = comparisons.level
    adjusted = ADJUSTMENT_WORDS[comparisons.adjustment]
    header = ["pair", "difference", "SE", f"{level:.0%} CI", "p", f"p ({comparisons.adjustment})", "verdict"]
    if truth:
        header.append("true diff.")
    rows = []
    for pair in comparisons.pairs:
        d = pair.difference
        low, high = d.ci(level)
        row = [f"{d.first} - {d.second}", f"{d.value:+.4f}", f"{d.se:.4f}", f"[{low:+.3f}, {high:+.3f}]",
               _p(d.p_value), _p(pair.p_adjusted), _verdict(pair, comparisons.alpha)]
        if truth:
            known = d.first in truth and d.second in truth
            row.append(f"{truth[d.first] - truth[d.second]:+.4f}" if known else "-")
        rows.append(row)
    legend = (f"paired differences over the same prompts (calibration error common to both cancels); verdicts at "
              f"{comparisons.alpha:.0%} on {adjusted} p-values over the {_family_size(comparisons)} tested pairs; "
              f"'{LOGGER}' is the logging policy\n")
    return f"paired comparisons ({comparisons.estimator})\n" + _grid(header, rows) + legend


def _family_size(comparisons: EstimatorComparisons) -> int:
    return sum(1 for p in comparisons.pairs if p.p_adjusted is not None)


def _difference_text(pair: PairedComparison, level: float, adjustment: str) -> str:
    d = pair.difference
    low, high = d.ci(level)
    return (f"difference {d.value:+.3f}, {level:.0%} CI [{low:+.3f}, {high:+.3f}], "
            f"{ADJUSTMENT_WORDS[adjustment]} p {_p(pair.p_adjusted)}")


def best_policy_text(comparisons: EstimatorComparisons) -> str:
    """The best-policy claim the paired tests support, near-ties said."""
    best = comparisons.best()
    return _claim(best, comparisons)


def _claim(best: BestPolicy, comparisons: EstimatorComparisons) -> str:
    level, adjustment = comparisons.level, comparisons.adjustment
    if best.policy is None:
        return f"{best.estimator}: no policy can be called best: every estimate was refused or failed."
    if best.established and not best.tied_with:
        others = [p for p in comparisons.ranking if p not in (best.policy, LOGGER)]
        claim = f"{best.estimator}: best policy is {best.policy} ({comparisons.value(best.policy):.3f})"
        claim += (f": it beats each of {', '.join(others)} in paired tests ({ADJUSTMENT_WORDS[adjustment]}, "
                  f"{comparisons.alpha:.0%} level)." if others else " (the only policy not refused).")
    else:
        parts = []
        for other in best.tied_with:
            pair = comparisons.pair(best.policy, other)
            if pair is not None:
                parts.append(f"{other} ({_difference_text(pair, level, adjustment)})")
        claim = (f"{best.estimator}: {best.policy} has the highest estimate ({comparisons.value(best.policy):.3f}) "
                 "but is not established as best: "
                 f"the paired tests cannot separate it from {'; '.join(parts)}. "
                 f"A near-tie at this sample size: more prompts (and, where calibration dominates, more oracle "
                 f"labels) would be needed to order them.")
    if best.versus_logger is not None:
        verdict = "beats" if best.versus_logger.significant(comparisons.alpha) and \
            best.versus_logger.difference.value > 0 else "is not separated from"
        claim += (f" Against the logging policy it {verdict} it "
                  f"({_difference_text(best.versus_logger, level, adjustment)}).")
    if best.refused:
        claim += f" Not ranked (refused): {', '.join(best.refused)}."
    return claim


class DifferenceRow(NamedTuple):
    """One pair's difference as the difference plot draws it."""

    pair: str
    estimator: str
    value: float
    low: float
    high: float
    significant: bool
    tested: bool
    truth: float | None


def difference_rows(all_comparisons: Mapping[str, EstimatorComparisons],
                    truth: Mapping[str, float] | None = None) -> list[DifferenceRow]:
    """Every estimator's pairs, each pair oriented as it first appears so that
    all estimators' markers for it sit on one line."""
    rows = []
    oriented: set[tuple[str, str]] = set()
    for comparisons in all_comparisons.values():
        for pair in comparisons.pairs:
            d = pair.difference
            if (d.second, d.first) in oriented:
                d = d.reversed()
            oriented.add((d.first, d.second))
            low, high = d.ci(comparisons.level)
            known = truth is not None and d.first in truth and d.second in truth
            rows.append(DifferenceRow(
                f"{_name(d.first)} - {_name(d.second)}", comparisons.estimator, d.value, low, high,
                pair.significant(comparisons.alpha), pair.p_adjusted is not None,
                truth[d.first] - truth[d.second] if known and truth is not None else None,
            ))
    return rows


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def comparisons_json(all_comparisons: Mapping[str, EstimatorComparisons]) -> list[dict[str, object]]:
    """One entry per estimator: its pairs and the best-policy claim they
    support, JSON-ready (the results' optional ``comparisons`` array)."""
    document: list[dict[str, object]] = []
    for name, comparisons in all_comparisons.items():
        best = comparisons.best()
        pairs = []
        for pair in comparisons.pairs:
            d = pair.difference
            low, high = d.ci(comparisons.level)
            pairs.append({
                "first": d.first, "second": d.second, "difference": d.value, "se": _finite(d.se),
                "se_sampling": _finite(d.se_sampling), "se_calibration": _finite(d.se_calibration),
                "degrees_of_freedom": _finite(d.df), "ci_low": low, "ci_high": high,
                "p_value": _finite(d.p_value), "p_adjusted": _finite(pair.p_adjusted),
                "tested": pair.p_adjusted is not None, "significant": pair.significant(comparisons.alpha),
                "n_prompts": d.n, "inference": d.inference,
            })
        document.append({
            "estimator": name, "adjustment": comparisons.adjustment, "ci_level": comparisons.level,
            "logger_name": LOGGER,
            "pairs": pairs,
            "best_policy": {"policy": best.policy, "established": best.established,
                            "tied_with": list(best.tied_with), "refused": list(best.refused),
                            "claim": best_policy_text(comparisons)},
        })
    return document


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
