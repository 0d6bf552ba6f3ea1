"""A plain-text account of the largest importance weights of each policy."""

from __future__ import annotations

import numpy as np

from cje.analysis.run import AnalysisResult
from cje.data.tables import LoggedTable
from cje.report.words import tail_words


def _snippet(text: object, width: int = 70) -> str:
    if not isinstance(text, str):
        return "-"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def extreme_weights_report(result: AnalysisResult, logged: LoggedTable, *, top: int = 10) -> str:
    """For each policy: weight health in words, then the ``top`` rows with the
    largest raw weights (mean-one scale), what they hold and how much of the
    total weight they carry."""
    lines = [
        "EXTREME IMPORTANCE WEIGHTS",
        "Weights are p_target(response) / p_base(response), scaled to mean 1 over the",
        "analysed rows. A healthy policy has no row far above 1; when a few rows carry",
        "most of the weight, IPS estimates are really estimates from those few rows.",
        "Columns: weight (mean-one scale), calibrated (the judge-indexed weight that",
        "replaces it in calibrated estimators), share (of the total weight), nats",
        "(log p_target - log p_base before scaling: the raw log-probability gap),",
        "judge score, oracle label (- where none).",
        "",
    ]
    for policy, summary in result.policies.items():
        weights = summary.weights
        lines.append("=" * 78)
        lines.append(f"policy: {policy}")
        if weights is None or summary.calibrated is None:
            lines.append("  no rows with both log-probabilities; nothing to show")
            continue
        lines.append(
            f"  rows analysed {summary.n_analysed} of {summary.n_logged}"
            f" ({summary.n_dropped_logprob} dropped for a missing log-probability)"
        )
        lines.append(
            f"  effective sample size {weights.ess_raw:.1%} of rows (raw weights), {weights.ess_calibrated:.1%} "
            f"(calibrated); largest weight {weights.max_weight:.1f}; top 1% of rows hold {weights.top1_share:.1%}"
        )
        lines.append(f"  {tail_words(weights.hill_index)}; {weights.near_zero_share:.1%} of rows have weight < 0.01")
        raw = summary.inputs.weight
        calibrated = summary.calibrated.weight
        rows = summary.inputs.rows
        order = np.argsort(raw)[::-1][:top]
        total = raw.sum()
        lines.append(f"  {'rank':>4} {'weight':>9} {'calib.':>6} {'share':>6} {'nats':>9} "
                     f"{'judge':>5} {'oracle':>6}  prompt_id")
        for rank, position in enumerate(order, start=1):
            row = rows[position]
            label = logged.oracle_label[row]
            lines.append(
                f"  {rank:>4} {raw[position]:>9.2f} {calibrated[position]:>6.2f} "
                f"{raw[position] / total:>6.1%} {summary.inputs.log_weight[position]:>9.2f} "
                f"{logged.judge_score[row]:>5.2f} {'-' if np.isnan(label) else f'{label:.2f}':>6}  "
                f"{logged.prompt_id[row]}"
            )
            if logged.prompt is not None:
                lines.append(f"         prompt:   {_snippet(logged.prompt[row])}")
            if logged.response is not None:
                lines.append(f"         response: {_snippet(logged.response[row])}")
        lines.append("")
    return "\n".join(lines) + "\n"
