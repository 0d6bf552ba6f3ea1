"""The values the experiment scores estimates against, and how exact they are.

Three sources: the simulator's population values (exact); the mean oracle
label of each policy's probe slice (``{policy}_probe.jsonl``, noisy: a mean of
a few dozen labels); or a JSON file a user supplies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cje.data.scales import detect_scale, to_unit
from cje.errors import CJEError
from cje.world import WorldConfig, population_truth


class TruthError(CJEError):
    """A truth file or probe slice cannot be used."""


@dataclass(frozen=True)
class Truth:
    """True policy values; ``n_oracle[p]`` is how many oracle labels
    ``values[p]`` averages (``inf`` for an exact value)."""

    values: Mapping[str, float]
    n_oracle: Mapping[str, float]
    description: str

    @property
    def noisy(self) -> bool:
        return any(math.isfinite(n) for n in self.n_oracle.values())

    def restricted_to(self, policies: tuple[str, ...]) -> Truth:
        kept = tuple(p for p in policies if p in self.values)
        return Truth({p: self.values[p] for p in kept}, {p: self.n_oracle[p] for p in kept},
                     self.description)


def simulator_truth(config: WorldConfig) -> Truth:
    values = population_truth(config)
    return Truth(dict(values), dict.fromkeys(values, math.inf),
                 "simulator population values (exact)")


def probe_truth(probe_dir: Path, policies: tuple[str, ...], *, oracle_scale: str = "auto") -> Truth:
    """Mean oracle label of each policy's probe slice; policies without a
    probe file are left out (they then enter no metric)."""
    values, counts = {}, {}
    for policy in policies:
        path = probe_dir / f"{policy}_probe.jsonl"
        if not path.exists():
            continue
        labels = _probe_labels(path)
        scale = detect_scale(labels) if oracle_scale == "auto" else oracle_scale
        values[policy] = float(to_unit(labels, scale).mean())
        counts[policy] = float(labels.size)
    if not values:
        raise TruthError(f"{probe_dir}: no {{policy}}_probe.jsonl for any of {', '.join(policies)}")
    sizes = "/".join(str(int(counts[p])) for p in values)
    return Truth(values, counts, f"probe-slice oracle means (n={sizes} labels; noisy)")


def _probe_labels(path: Path) -> np.ndarray:
    labels = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise TruthError(f"{path}:{number}: not JSON ({error.msg})") from None
            label = row.get("oracle_label", (row.get("metadata") or {}).get("oracle_label"))
            if isinstance(label, (int, float)) and math.isfinite(label):
                labels.append(float(label))
    if not labels:
        raise TruthError(f"{path}: no row carries an oracle_label")
    return np.array(labels)


def file_truth(path: Path) -> Truth:
    """``{policy: value}``, a simulator ``truth.json`` (its ``population``), or
    ``{"values": {...}, "n_oracle": {...}}`` for a truth that is itself a mean of
    ``n_oracle`` labels (its RMSE is then debiased for that noise)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TruthError(f"{path}: truth file cannot be read ({error})") from None
    if not isinstance(document, dict):
        raise TruthError(f"{path}: truth must be a JSON object")
    raw = document.get("values", document.get("population", document))
    values = {str(k): float(v) for k, v in raw.items() if isinstance(v, (int, float))}
    if not values:
        raise TruthError(f"{path}: no numeric policy values found")
    counts = document.get("n_oracle", {})
    n_oracle = {p: float(counts.get(p, math.inf)) for p in values}
    noisy = any(math.isfinite(n) for n in n_oracle.values())
    return Truth(values, n_oracle, f"{path.name}" + (" (noisy: finite oracle means)" if noisy else " (exact)"))
