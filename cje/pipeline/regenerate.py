"""Failed responses: count them by policy and error type, and generate them again.

A regenerated response is a new row of the generation log (the last row of a
prompt wins), a fresh sample (the row's next ``draw``) with its own
``response_hash``. Scores and log-probs record the hash of the text they were
computed from, so any left from an earlier text of that prompt no longer
match: the next pipeline run recomputes exactly those, and the dataset build
refuses to join the old values in the meantime.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cje.pipeline.logs import read_log
from cje.pipeline.paths import DataPaths
from cje.pipeline.prompts import Prompt
from cje.pipeline.staleness import failed

_EXAMPLE_CHARS = 160


@dataclass(frozen=True)
class FailureCount:
    """One policy's failed responses: how many of each error type, and an example of each."""

    policy: str
    by_type: Mapping[str, int]
    examples: Mapping[str, str]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def count_failures(paths: DataPaths, prompts: Sequence[Prompt], policies: Sequence[str]) -> list[FailureCount]:
    """Failed responses to the current prompts, per policy."""
    counts = []
    for policy in policies:
        log = read_log(paths.generations(policy))
        rows = [log[p.prompt_id] for p in prompts if p.prompt_id in log and failed(log[p.prompt_id])]
        by_type = Counter(str(row.get("error_type")) for row in rows)
        examples: dict[str, str] = {}
        for row in rows:
            examples.setdefault(str(row.get("error_type")), str(row.get("error"))[:_EXAMPLE_CHARS])
        counts.append(FailureCount(policy, dict(by_type), examples))
    return counts
