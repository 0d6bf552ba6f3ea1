"""Turn command-line choices into a concrete experiment: source, truth, grid,
policy roles and the fingerprint that keys its cells."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.lib.grid import Cell, expand_grid, fingerprint, library_digest
from benchmarks.lib.report import ReportContext
from benchmarks.lib.runner import RunSettings
from benchmarks.lib.sources import Source, base_dataset, source_identity
from benchmarks.lib.truth import Truth, file_truth, probe_truth, simulator_truth
from cje.errors import CJEError
from cje.world import WorldConfig

ROOT = Path(__file__).resolve().parents[2]
ARENA = ROOT.parent / "shared" / "data" / "arena_sample"
DEFAULT_SIZES = {"simulator": (250, 500, 1000, 2500, 5000), "arena": (250, 500, 1000)}
QUICK = {"coverages": (0.05, 0.25, 1.0), "seeds": 3,
         "sizes": {"simulator": (250, 1000), "arena": (250, 1000)}}


class ExperimentError(CJEError):
    """The requested experiment cannot run on this data."""


@dataclass(frozen=True)
class Grid:
    coverages: tuple[float, ...]
    sizes: tuple[int, ...] | None  # None: the source's default sizes
    seeds: int
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    source: Source
    truth: Truth
    cells: list[Cell]
    settings: RunSettings
    context: ReportContext
    notes: tuple[str, ...]


def default_sizes(n_prompts: int) -> tuple[int, ...]:
    """A quarter, half and all of a user's dataset."""
    return tuple(sorted({max(1, n_prompts // 4), max(1, n_prompts // 2), n_prompts}))


def arena_available() -> bool:
    return (ARENA / "logged_data.jsonl").exists()


def builtin_source(name: str, sizes: tuple[int, ...]) -> tuple[Source, Truth | None]:
    if name == "simulator":
        return Source("simulator", sim_prompts=max(sizes)), simulator_truth(WorldConfig())
    return Source("arena", data=ARENA / "logged_data.jsonl", fresh_draws_dir=ARENA / "fresh_draws"), None


def truth_for(source: Source, policies: tuple[str, ...], *, builtin: Truth | None,
              truth_file: Path | None, probe_dir: Path | None) -> Truth:
    """The simulator's own truth, else a truth file, else probe-slice means
    (the arena sample's by default), else no truth."""
    if builtin is not None:
        return builtin
    if truth_file is not None:
        return file_truth(truth_file)
    if probe_dir is None and source.name == "arena":
        probe_dir = ARENA / "probe_slice"
    if probe_dir is not None:
        return probe_truth(probe_dir, policies)
    return Truth({}, {}, "none given")


def make_plan(source: Source, grid: Grid, sizes: tuple[int, ...] | None, *, builtin_truth: Truth | None,
              truth_file: Path | None, probe_dir: Path | None, separate: tuple[str, ...],
              ci_level: float, n_bootstrap: int) -> Plan:
    dataset = base_dataset(source, 0)
    targets = dataset.logged.policies
    truth = truth_for(source, targets, builtin=builtin_truth, truth_file=truth_file,
                      probe_dir=probe_dir).restricted_to(targets)
    known = tuple(p for p in targets if p in truth.values) if truth.values else targets
    sizes = sizes or default_sizes(dataset.logged.n)
    fitting = tuple(n for n in sizes if n <= dataset.logged.n)
    notes = []
    if len(fitting) < len(sizes):
        notes.append(f"{source.name}: sizes above the dataset's {dataset.logged.n:,} prompts dropped: "
                     f"{', '.join(str(n) for n in sizes if n > dataset.logged.n)}")
    if not fitting:
        raise ExperimentError(f"{source.name}: no sample size fits the {dataset.logged.n:,}-prompt dataset")
    key = fingerprint(source_identity(source), f"ci={ci_level}", f"B={n_bootstrap}", library_digest())
    context = ReportContext(
        source=source.name, truth=truth, variants=grid.variants,
        accuracy=tuple(p for p in known if p not in separate),
        ranking=known, separate=tuple(p for p in separate if p in known),
        ci_level=ci_level, n_bootstrap=n_bootstrap, seeds=grid.seeds)
    cells = expand_grid(fitting, grid.coverages, range(grid.seeds), grid.variants)
    return Plan(source, truth, cells, RunSettings(key, ci_level, n_bootstrap), context, tuple(notes))
