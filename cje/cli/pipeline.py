"""Pieces the pipeline scripts share: prompt-source options and summaries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from cje.api.endpoints import base_url_of
from cje.cli.options import finite_float
from cje.cli.progress import status_block
from cje.pipeline.dataset import DatasetReport
from cje.pipeline.plan import RunPlan, StepPlan, model_price
from cje.pipeline.prompts import DEFAULT_HF_DATASET, DEFAULT_MODERATION_THRESHOLD, SHIPPED_PROMPTS, PromptSpec
from cje.pipeline.runner import StepResult
from cje.pipeline.settings import ModelPrice, Roles, effective_model

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
    "--hf-dataset", default=None, metavar="ID", show_default=DEFAULT_HF_DATASET,
    help="Hugging Face data set of Arena conversations (when no --prompts-file is given). It is gated: "
         "accept its terms on its Hub page, then export HF_TOKEN=<your token> or run "
         "`huggingface-cli login`. Set HF_HUB_OFFLINE=1 to use a cached copy without network.",
)
moderation_option = click.option(
    "--moderation-threshold", type=finite_float(0, 1), default=DEFAULT_MODERATION_THRESHOLD,
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


def selected_policies(roles: Roles, names: Sequence[str]) -> tuple[str, ...]:
    """The policies named with ``--policies`` (all when none), in the config's order."""
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


def failure_lines(results: Sequence[StepResult]) -> list[str]:
    """Failures per step, policy and cause, with the provider's message for each cause."""
    lines = []
    for result in results:
        if not result.failed:
            continue
        lines.append(f"failures in {result.step}:")
        for (policy, cause), count in sorted(result.causes.items()):
            lines.append(f"  {policy:<24} {count:>6}  {cause}")
        for cause, message in sorted(result.messages.items()):
            detail = message.removeprefix(cause).lstrip(": ") or message
            lines.append(f"  {cause}: {detail}")
    return lines


def retry_lines(retries: Mapping[str, int]) -> list[str]:
    if not retries:
        return ["retries: none"]
    return ["retries: " + ", ".join(f"{kind} {count}" for kind, count in sorted(retries.items()))]


def usage_lines(results: Sequence[StepResult], roles: Roles, prices: Mapping[str, ModelPrice]) -> list[str]:
    """Tokens used per model in this run, and their estimated cost."""
    inputs, outputs = Counter[str](), Counter[str]()
    for result in results:
        inputs.update(result.input_tokens)
        outputs.update(result.output_tokens)
    if not inputs and not outputs:
        return ["tokens used: none (nothing was sent)"]
    urls = model_urls(roles)
    lines, total, unknown = ["tokens used (as the provider reported them):"], 0.0, False
    for model in sorted(set(inputs) | set(outputs)):
        price = model_price(model, urls.get(model, ""), prices)
        cost = None if price is None else price.cost(inputs[model], outputs[model])
        total += cost or 0.0
        unknown = unknown or cost is None
        lines.append(f"  {model:<52} {inputs[model]:>11,} in {outputs[model]:>11,} out  {_dollars(cost)}")
    lines.append(f"  estimated cost: {_dollars(total)}" + (" + models without a price" if unknown else "")
                 + " (prices from the policy config's PRICES: an estimate, not a bill)")
    return lines


def model_urls(roles: Roles) -> dict[str, str]:
    """The base URL each model of ``roles`` is called at (after environment overrides)."""
    every = [*roles.policies.values(), roles.judge, roles.oracle]
    return {effective_model(role): base_url_of(role) for role in every}


def _dollars(cost: float | None) -> str:
    return "no price" if cost is None else f"${cost:,.2f}" if cost >= 0.01 or cost == 0 else f"${cost:.4f}"


def plan_lines(plan: RunPlan | Sequence[StepPlan]) -> list[str]:
    """A dry run's report: each step's status block and its requests per model."""
    steps = plan.steps if isinstance(plan, RunPlan) else plan
    lines = ["dry run: nothing is sent and nothing is written."]
    for step in steps:
        lines.append(status_block(step.status))
        for e in step.estimates:
            out = f"{'<=' if e.output_bound else '~'}{e.output_tokens:,}"
            lines.append(f"   {e.requests:>7} requests to {e.model} at {e.base_url}: ~{e.input_tokens:,} tokens in, "
                         f"{out} out, {_dollars(e.cost)}")
    costs = [e.cost for step in steps for e in step.estimates]
    if costs:
        known = sum(c for c in costs if c is not None)
        missing = " + models without a price" if any(c is None for c in costs) else ""
        lines.append(f"estimated cost: {_dollars(known)}{missing}. Estimates: tokens are characters / 4; "
                     "'<=' marks an upper bound (--max-tokens, no earlier replies to average); prices are "
                     "PRICES in the policy config, US dollars per million tokens; a local endpoint is free.")
    if isinstance(plan, RunPlan):
        lines.append(f"then cje_dataset.jsonl: up to {plan.dataset_rows} rows")
    return lines
