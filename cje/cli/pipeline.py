"""Pieces the pipeline scripts share: prompt-source options and summaries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from cje.pipeline.dataset import DatasetReport
from cje.pipeline.prompts import DEFAULT_HF_DATASET, DEFAULT_MODERATION_THRESHOLD, SHIPPED_PROMPTS, PromptSpec
from cje.pipeline.runner import StepResult
from cje.pipeline.settings import Roles

n_samples_option = click.option(
    "--n-samples", type=click.IntRange(1), required=True,
    help="How many prompts to sample (a larger N extends a smaller sample of the same seed).",
)
prompts_file_option = click.option(
    "--prompts-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="Read prompts from this JSONL file (one {\"prompt\": ..., optional \"prompt_id\": ...} per "
         "line) instead of the Hub. No network needed; cje ships 340 prompts written for this "
         f"project in cje/pipeline/{SHIPPED_PROMPTS.name}.",
)
hf_dataset_option = click.option(
    "--hf-dataset", default=None, metavar="ID",
    help=f"Hugging Face data set of Arena conversations [default: {DEFAULT_HF_DATASET}]. It is gated: "
         "accept its terms on its Hub page, then export HF_TOKEN=<your token> or run "
         "`huggingface-cli login`. Set HF_HUB_OFFLINE=1 to use a cached copy without network.",
)
moderation_option = click.option(
    "--moderation-threshold", type=click.FloatRange(0, 1), default=DEFAULT_MODERATION_THRESHOLD,
    show_default=True,
    help="Drop Arena conversations flagged by moderation or scoring above this in any category.",
)


def prompt_spec(
    *, n_samples: int, seed: int, prompts_file: Path | None, hf_dataset: str | None,
    moderation_threshold: float, roles: Roles,
) -> PromptSpec:
    """The prompt source from the options: a file, or the Hub (the default)."""
    if prompts_file is not None and hf_dataset is not None:
        raise click.UsageError("give --prompts-file or --hf-dataset, not both")
    templates = tuple(sorted({role.chat_template for role in roles.policies.values()}))
    return PromptSpec(
        n_samples=n_samples, seed=seed, prompts_file=prompts_file,
        hf_dataset=None if prompts_file is not None else hf_dataset or DEFAULT_HF_DATASET,
        moderation_threshold=moderation_threshold, chat_templates=templates,
    )


def selected_policies(roles: Roles, values: Sequence[str]) -> tuple[str, ...]:
    """The policies named with ``--policies`` (repeated or comma-separated; all
    when none), in policy_config's order."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(roles.policies))
    if unknown:
        raise click.BadParameter(f"unknown policies {unknown}; known: {', '.join(roles.policies)}",
                                 param_hint="--policies")
    return tuple(name for name in roles.policies if not names or name in names)


def step_lines(results: Sequence[StepResult]) -> list[str]:
    """One line per step: what ran and what failed."""
    lines = []
    for result in results:
        status = result.status
        failures = ", ".join(f"{kind} {count}" for kind, count in sorted(result.failures.items()))
        lines.append(
            f"  {status.step:<10} {status.total:>6} records: {status.done} kept, "
            f"{result.succeeded} done now" + (f", FAILED {result.failed} ({failures})" if result.failed else "")
        )
    return lines


def dataset_lines(report: DatasetReport) -> list[str]:
    left_out = ", ".join(f"{why} {count}" for why, count in sorted(report.left_out.items()))
    nulls = ", ".join(f"{policy} {count}" for policy, count in sorted(report.null_logprobs.items()))
    lines = [f"wrote {report.path}: {report.rows} rows, {report.oracle_labels} with an oracle label"]
    if left_out:
        lines.append(f"  left out: {left_out}")
    if nulls:
        lines.append(f"  null log-probs (those rows are dropped for that policy only): {nulls}")
    return lines


def failure_hint(results: Sequence[StepResult]) -> list[str]:
    if not any(result.failed for result in results):
        return []
    return ["some requests failed for good (rows kept with their error). Re-run the same command to retry "
            "them, or see them per policy with: python regenerate_failed_responses.py --dry-run"]
