"""Write label suggestions as JSONL for the oracle step, and say what they buy."""

from __future__ import annotations

from pathlib import Path

from cje.analysis.run import AnalysisResult
from cje.data.tables import Dataset
from cje.io.atomic import write_jsonl_atomic
from cje.labelling.suggest import LabelSuggestions, suggest_labels


def suggestions_text(suggestions: LabelSuggestions, path: Path) -> str:
    lines = [f"Label suggestions written to {path}: {len(suggestions.logged)} logged responses"
             + (f" and {len(suggestions.probes)} probe draws" if suggestions.probes else "") + "."]
    if suggestions.logged and suggestions.targeted:
        lines.append(f"  The logged ones are predicted to cut the calibration variance "
                     f"{suggestions.predicted_gain_over_random:.0%} more than as many random labels "
                     "(a rough model: judge-score regions weighed by where the target policies' responses fall).")
    by_policy: dict[str, int] = {}
    for s in suggestions.probes:
        by_policy[s.policy] = by_policy.get(s.policy, 0) + 1
    lines += [f"  {policy}: {count} probe draws ({next(s.reason for s in suggestions.probes if s.policy == policy)})"
              for policy, count in by_policy.items()]
    lines += [f"  note: {note}" for note in suggestions.notes]
    lines.append("  Label them with: python pipeline_steps/add_scores_with_resume.py "
                 "DATA_DIR/responses/{policy}_responses.jsonl --type oracle --only " + str(path))
    return "\n".join(lines) + "\n"


def write_suggestions(result: AnalysisResult, dataset: Dataset, k: int, path: Path, *, estimator: str,
                      logging_policy: str, seed: int) -> str:
    """Suggest, write ``path`` (one JSON object per response), return the console text."""
    suggestions = suggest_labels(result, dataset, k, estimator=estimator, logging_policy=logging_policy, seed=seed)
    write_jsonl_atomic(path, [s.to_json() for s in (*suggestions.logged, *suggestions.probes)])
    return suggestions_text(suggestions, path)
