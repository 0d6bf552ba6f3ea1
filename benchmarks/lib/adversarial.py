"""One seed of one hard regime: simulate, analyse with every estimator, score.

Each row is one (estimator, policy) cell: the estimate, its interval, its
status and reason codes, and the truth it should cover.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from cje.analysis import AnalysisSettings, Failure, analyze, estimator_names
from cje.world import population_truth, simulate_dataset
from cje.world.regimes import REGIMES

SEED_BASE = 70_000


@dataclass(frozen=True)
class Cell:
    regime: str
    seed: int


def run_cell(cell: Cell) -> list[dict[str, object]]:
    start = time.perf_counter()
    regime = REGIMES[cell.regime]
    sim = simulate_dataset(
        regime.n_prompts, seed=SEED_BASE + cell.seed, config=regime.config,
        draws_per_prompt=regime.draws_per_prompt, fresh_oracle_fraction=regime.probe_fraction,
        logprob_noise=regime.logprob_noise,
    )
    settings = AnalysisSettings(estimators=estimator_names(), oracle_coverage=regime.oracle_coverage,
                                seed=cell.seed)
    result = analyze(sim.dataset, settings)
    truth = population_truth(regime.config)
    rows: list[dict[str, object]] = []
    for (estimator, policy), outcome in result.results.items():
        status = result.statuses[(estimator, policy)]
        row: dict[str, object] = {
            "regime": cell.regime, "seed": cell.seed, "estimator": estimator, "policy": policy,
            "truth": truth[policy], "status": str(status.level),
            "codes": sorted({str(r.code) for r in status.reasons}),
            "sound": policy in regime.sound_for_fresh_draws,
        }
        if isinstance(outcome, Failure):
            row.update(value=None, low=None, high=None, se=None)
        else:
            low, high = outcome.ci(0.95)
            row.update(value=outcome.value, low=low, high=high, se=outcome.se)
        rows.append(row)
    verdicts = {p: (None if s.transport is None else str(s.transport.audit)) for p, s in result.policies.items()}
    seconds = time.perf_counter() - start
    for row in rows:
        row["transport"] = verdicts[str(row["policy"])]
        row["cell_seconds"] = seconds
    return rows


def covered(row: dict[str, object]) -> bool:
    low, high, truth = row["low"], row["high"], row["truth"]
    assert isinstance(low, float) and isinstance(high, float) and isinstance(truth, float)
    return low <= truth <= high


def summarise(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per (regime, estimator): coverage of ok intervals, share flagged, RMSE,
    silent failure rate and the share of sound cells still ok."""
    keys = sorted({(str(r["regime"]), str(r["estimator"])) for r in rows},
                  key=lambda k: (list(REGIMES).index(k[0]), list(estimator_names()).index(k[1])))
    table = []
    for regime, estimator in keys:
        cells = [r for r in rows if r["regime"] == regime and r["estimator"] == estimator]
        table.append({"regime": regime, "estimator": estimator, **_metrics(cells)})
    return table


def _metrics(cells: list[dict[str, object]]) -> dict[str, object]:
    computed = [c for c in cells if c["value"] is not None]
    ok = [c for c in computed if c["status"] == "ok"]
    sound = [c for c in cells if c["sound"]]
    errors = [float(c["value"]) - float(c["truth"]) for c in computed]  # type: ignore[arg-type]
    misses = sum(not covered(c) for c in ok)
    return {
        "cells": len(cells),
        "ok_coverage": _share(len(ok) - misses, len(ok)),
        "flagged": _share(len(cells) - len(ok), len(cells)),
        "rmse": math.sqrt(float(np.mean(np.square(errors)))) if errors else None,
        "silent_failure": _share(misses, len(ok)),
        "ok_misses": misses,
        "ok_cells": len(ok),
        "sound_ok": _share(sum(c["status"] == "ok" for c in sound), len(sound)) if sound else None,
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
