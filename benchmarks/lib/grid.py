"""The experiment grid: variants, cells, units of work, and the fingerprint
that keys finished cells.

A *cell* is one analysis call: (sample size, oracle coverage, seed, variant).
A *unit* is the cells that share one prompt subsample and oracle coverage;
a worker process runs a unit's pending variants on one subsample.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from cje.analysis import estimator_names

CJE_PACKAGE = Path(__file__).resolve().parents[2] / "cje"
# The parts of the library an analysis runs; edits elsewhere (API client,
# pipeline, simulator server, reports) cannot change a cell's numbers.
ANALYSIS_CODE = ("analysis", "calibration", "data", "diagnostics", "estimators", "inference", "world",
                 "errors.py")
# Bump when the meaning of a stored row changes; old rows are then ignored.
PROTOCOL = "coverage-experiment/1"


@dataclass(frozen=True)
class Variant:
    """An estimator with its inference method, as one row of every table."""

    name: str
    estimator: str
    inference: str


VARIANTS: dict[str, Variant] = {
    **{e: Variant(e, e, "jackknife") for e in estimator_names()},
    # The prompt-cluster bootstrap that refits the calibrator (direct only).
    "direct+bootstrap": Variant("direct+bootstrap", "direct", "bootstrap"),
}
RECOMMENDED = ("direct", "calibrated-dr-cpo", "tmle", "stacked-dr")


@dataclass(frozen=True)
class Cell:
    n_prompts: int
    coverage: float
    seed: int
    variant: str

    def key(self, fingerprint: str) -> str:
        return f"{fingerprint}|n={self.n_prompts}|cov={self.coverage:g}|seed={self.seed}|{self.variant}"


@dataclass(frozen=True)
class Unit:
    n_prompts: int
    coverage: float
    seed: int
    variants: tuple[str, ...]

    def cells(self) -> list[Cell]:
        return [Cell(self.n_prompts, self.coverage, self.seed, v) for v in self.variants]


def expand_grid(sizes, coverages, seeds, variants) -> list[Cell]:
    return [Cell(n, c, s, v) for n, c, s, v in product(sizes, coverages, seeds, variants)]


def pending_units(cells: list[Cell], finished: set[str], fingerprint: str) -> list[Unit]:
    """Group the unfinished cells into units, largest samples first (so the
    slowest work starts early and the pool's tail is short)."""
    grouped: dict[tuple[int, float, int], list[str]] = {}
    for cell in cells:
        if cell.key(fingerprint) not in finished:
            grouped.setdefault((cell.n_prompts, cell.coverage, cell.seed), []).append(cell.variant)
    units = [Unit(n, c, s, tuple(v)) for (n, c, s), v in grouped.items()]
    return sorted(units, key=lambda u: (-u.n_prompts, u.seed, u.coverage))


def library_digest(parts: tuple[str, ...] = ANALYSIS_CODE) -> str:
    """sha256 of the source of ``parts`` of the cje package (the analysis
    code by default): results computed by other code are not reused."""
    digest = hashlib.sha256()
    files = [p for part in parts for p in
             ([CJE_PACKAGE / part] if part.endswith(".py") else (CJE_PACKAGE / part).rglob("*.py"))]
    for path in sorted(files):
        digest.update(path.relative_to(CJE_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(*parts: str) -> str:
    """A short stable id of everything that fixes a cell's result besides the
    cell itself (data, world, settings, library code)."""
    digest = hashlib.sha256("\x1f".join((PROTOCOL, *parts)).encode())
    return digest.hexdigest()[:12]
