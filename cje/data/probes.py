"""Probe slices: oracle labels on some of a target policy's own fresh draws.

A probe file (``{policy}_probe.jsonl``) holds fresh-draw rows of one policy
with an ``oracle_label``. Its labels are attached to the matching fresh draws
(same ``prompt_id`` and ``draw_idx``), and only if the response text is the
same: a label of another text would silently describe a different response.
"""

from __future__ import annotations

import numpy as np

from cje.data.columns import field_values, float_column, prompt_ids
from cje.data.jsonl import MAX_PROBLEMS, ParsedFile, ProblemLog
from cje.data.keys import look_up, positions


def attach_probe_labels(
    fresh_prompt_id: np.ndarray,
    fresh_draw: np.ndarray,
    fresh_response: np.ndarray,
    fresh_oracle: np.ndarray,
    *,
    probe: ParsedFile,
    log: ProblemLog,
) -> np.ndarray:
    """``fresh_oracle`` with the probe's labels filled in (raw scale)."""
    ids = prompt_ids(probe, log, unique=False)
    draws = np.array([row.get("draw_idx", 0) for row in probe.rows], dtype=object)
    labels = float_column(field_values(probe.rows, "oracle_label"), probe, "oracle_label", log,
                          nullable=False, missing_ok=False)
    position = look_up(positions(zip(fresh_prompt_id.tolist(), fresh_draw.tolist())),
                       list(zip(ids.tolist(), draws.tolist())))
    merged = fresh_oracle.copy()
    for i in range(len(probe.rows))[: 10 * MAX_PROBLEMS]:
        if position[i] < 0:
            log.add(probe.source, probe.at(i), "prompt_id",
                    f"{ids[i]} (draw {draws[i]}) is not among the policy's fresh draws")
            continue
        text = probe.rows[i].get("response")
        if text is not None and text != fresh_response[position[i]]:
            log.add(probe.source, probe.at(i), "response",
                    "differs from the fresh draw's text; its label describes another response")
            continue
        merged[position[i]] = labels[i]
    return merged
