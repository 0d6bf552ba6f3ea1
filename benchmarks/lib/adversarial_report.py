"""Tables of the adversarial benchmark, for its report and benchmarks/README.md."""

from __future__ import annotations

from benchmarks.lib.adversarial import covered
from cje.world.regimes import REGIMES


def _pct(value: object) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]


def _num(value: object) -> str:
    return "-" if value is None else f"{float(value):.3f}"  # type: ignore[arg-type]


def markdown_report(table: list[dict[str, object]], rows: list[dict[str, object]], *, seeds: int) -> str:
    lines = [f"{seeds} seeds per regime; every estimator and target policy of each seed is one cell. "
             "*ok coverage*: share of intervals marked ok that contain the truth; *flagged*: share of "
             "cells marked warn or refuse (or not computed); *silent*: share of ok intervals that miss "
             "the truth; *sound ok*: share still ok among the policies fresh-draw estimators can get "
             f"right. {_cpu_minutes(rows):.1f} CPU-minutes of simulation and analysis.", ""]
    lines += _overall(rows)
    for regime in dict.fromkeys(str(r["regime"]) for r in table):
        lines += ["", f"**{regime}** — {REGIMES[regime].description}", "",
                  "| estimator | ok coverage | flagged | RMSE | silent | ok misses / ok cells | sound ok |",
                  "|---|---|---|---|---|---|---|"]
        for r in (r for r in table if r["regime"] == regime):
            lines.append(f"| {r['estimator']} | {_pct(r['ok_coverage'])} | {_pct(r['flagged'])} | {_num(r['rmse'])} "
                         f"| {_pct(r['silent_failure'])} | {r['ok_misses']} / {r['ok_cells']} "
                         f"| {_pct(r['sound_ok'])} |")
    return "\n".join(lines) + "\n"


def _cpu_minutes(rows: list[dict[str, object]]) -> float:
    per_cell = {(r["regime"], r["seed"]): float(r.get("cell_seconds", 0.0)) for r in rows}  # type: ignore[arg-type]
    return sum(per_cell.values()) / 60


def _overall(rows: list[dict[str, object]]) -> list[str]:
    lines = ["| regime | ok cells | silent failure | sound cells ok (direct, DR family) |", "|---|---|---|---|"]
    all_ok = all_miss = 0
    for regime in dict.fromkeys(str(r["regime"]) for r in rows):
        cells = [r for r in rows if r["regime"] == regime and r["value"] is not None]
        ok = [r for r in cells if r["status"] == "ok"]
        misses = sum(not covered(r) for r in ok)
        all_ok, all_miss = all_ok + len(ok), all_miss + misses
        fresh = [r for r in rows if r["regime"] == regime and r["sound"] and r["estimator"] not in
                 ("naive-direct", "raw-ips", "calibrated-ips")]
        sound = _pct(sum(r["status"] == "ok" for r in fresh) / len(fresh)) if fresh else "-"
        lines.append(f"| {regime} | {len(ok)} | {_pct(misses / len(ok) if ok else None)} | {sound} |")
    lines.append(f"| **all regimes** | {all_ok} | **{_pct(all_miss / all_ok if all_ok else None)}** | |")
    return lines
