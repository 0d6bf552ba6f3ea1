"""Growth exponents, tables and the log-log plot of the speed benchmark."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.lib.tables import markdown, num

EXPONENT_TARGET = 1.15
EXEMPT = ("direct+bootstrap",)  # the bootstrap's cost is B refits by design


def growth_exponent(n: Sequence[float], value: Sequence[float]) -> float:
    """Least-squares slope of log(value) on log(n): value grows like n**slope."""
    n, value = np.asarray(n, dtype=float), np.asarray(value, dtype=float)
    keep = np.isfinite(value) & (value > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[keep]), np.log(value[keep]), 1)[0])


def exponents(results: pd.DataFrame) -> pd.DataFrame:
    """Per variant: the fitted time exponent over every size, the local one
    between the two largest sizes (the asymptotic growth, free of fixed
    overheads that flatten the full fit), and the traced-memory exponent."""
    rows = []
    for variant, part in results.groupby("variant", sort=False):
        part = part.sort_values("n_prompts")
        last = part.tail(2)
        rows.append({"variant": variant,
                     "time_exponent": growth_exponent(part["n_prompts"], part["seconds"]),
                     "time_exponent_last": growth_exponent(last["n_prompts"], last["seconds"]),
                     "memory_exponent": growth_exponent(part["n_prompts"], part["traced_peak_mib"])})
    return pd.DataFrame(rows)


def _size_label(n: int) -> str:
    power = math.log10(n)
    return f"1e{power:.0f}" if power.is_integer() else f"{n:,}"


def exponent_verdict(variant: str, fitted: float, last: float) -> str:
    if variant in EXEMPT:
        return "exempt (bootstrap)"
    if not fitted <= EXPONENT_TARGET:
        return "FAILS"
    if not last <= EXPONENT_TARGET:
        return "meets on the fit; last decade above 1.15"
    return "meets"


def time_table(results: pd.DataFrame, fits: pd.DataFrame, variants: Sequence[str]) -> str:
    sizes = sorted(results["n_prompts"].unique())
    headers = ["estimator", *[f"n={_size_label(n)} s" for n in sizes], "exponent (fit)",
               "exponent (last decade)", "target ≤ 1.15"]
    rows = []
    for variant in variants:
        part = results[results["variant"] == variant].set_index("n_prompts")
        if part.empty:
            continue
        fit = fits[fits["variant"] == variant].iloc[0]
        verdict = exponent_verdict(variant, fit.time_exponent, fit.time_exponent_last)
        rows.append([variant, *[num(part["seconds"].get(n, float("nan")), 3) for n in sizes],
                     num(fit.time_exponent, 2), num(fit.time_exponent_last, 2), verdict])
    return markdown(headers, rows)


def memory_table(results: pd.DataFrame, fits: pd.DataFrame, variants: Sequence[str]) -> str:
    sizes = sorted(results["n_prompts"].unique())
    largest = sizes[-1]
    headers = ["estimator", *[f"n={_size_label(n)} MiB" for n in sizes], "exponent",
               f"process peak RSS at n={_size_label(largest)} MiB"]
    rows = []
    for variant in variants:
        part = results[results["variant"] == variant].set_index("n_prompts")
        if part.empty:
            continue
        fit = fits[fits["variant"] == variant].iloc[0]
        rows.append([variant, *[num(part["traced_peak_mib"].get(n, float("nan")), 1) for n in sizes],
                     num(fit.memory_exponent, 2), num(part["peak_rss_mib"].get(largest, float("nan")), 0)])
    return markdown(headers, rows)


def plot_speed(results: pd.DataFrame, variants: Sequence[str], path: Path, *, title: str) -> Path:
    """Wall time and traced peak memory against prompts, log-log, with a
    slope-one guide (linear growth)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12.5, 4.6), layout="constrained")
    time_ax, memory_ax = figure.subplots(1, 2)
    colours = colormaps["tab10"]
    for k, variant in enumerate(variants):
        part = results[results["variant"] == variant].sort_values("n_prompts")
        if part.empty:
            continue
        style = {"color": colours(k % 10), "marker": "osD^v<>ph*"[k % 10], "ms": 4, "label": variant}
        time_ax.plot(part["n_prompts"], part["seconds"], **style)
        memory_ax.plot(part["n_prompts"], part["traced_peak_mib"], **style)
    for ax, column, label in ((time_ax, "seconds", "wall time, s (best run)"),
                              (memory_ax, "traced_peak_mib", "peak memory allocated, MiB (tracemalloc)")):
        _linear_guide(ax, results, column)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("prompts (4 target policies, 10% oracle coverage)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
    handles, labels = time_ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize=8, title="estimator")
    figure.suptitle(textwrap.fill(title, 140), fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def _linear_guide(ax, results: pd.DataFrame, column: str) -> None:
    """A dashed line of slope one through the median at the smallest size."""
    sizes = np.array(sorted(results["n_prompts"].unique()), dtype=float)
    start = results[results["n_prompts"] == sizes[0]][column].median()
    ax.plot(sizes, start * sizes / sizes[0], color="grey", ls="--", lw=1, label="linear growth (slope 1)")
