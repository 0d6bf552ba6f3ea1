#!/usr/bin/env python3
"""Step 1: sample prompts into DATA_DIR/prompts.jsonl.

From the Chatbot Arena conversations on the Hugging Face Hub (first user turn,
English, moderation-flagged conversations dropped, exact duplicates removed)
or from a local JSONL file (--prompts-file). The sample is seeded: the same
--seed gives the same prompts, another seed another sample, and a larger
--n-samples extends a smaller one. prompt_id is a BLAKE2b hash of the text
(arena_..., prompt_... or the file's own prompt_id), stable across data set
versions. If prompts.jsonl already holds this sample it is kept as is.
--dry-run says whether the file would be kept or sampled anew (a local file is
read; the Hub is not contacted) and writes nothing.

Without network the Hub is not reachable and the step stops within seconds:
pass --prompts-file (cje/pipeline/default_prompts.jsonl works offline).
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import (
    data_dir_option,
    dry_run_option,
    pipeline_quiet_option,
    policy_config_option,
    resume_options,
    seed_option,
)
from cje.cli.pipeline import hf_dataset_option, moderation_option, n_samples_option, prompt_spec, prompts_file_option
from cje.cli.progress import ConsoleReporter, status_block
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.prompts import plan_prompts, prepare_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.run import prompts_status
from cje.pipeline.settings import ResumeMode


@command(help=__doc__)
@n_samples_option
@prompts_file_option
@hf_dataset_option
@moderation_option
@resume_options
@dry_run_option
@data_dir_option
@seed_option
@pipeline_quiet_option
@policy_config_option
def main(n_samples: int, prompts_file: Path | None, hf_dataset: str | None, moderation_threshold: float,
         mode: ResumeMode, dry_run: bool, data_dir: str, seed: int, quiet: bool,
         policy_config: PolicyConfig) -> None:
    configure_logging(verbose=False)
    spec = prompt_spec(n_samples=n_samples, seed=seed, prompts_file=prompts_file, hf_dataset=hf_dataset,
                       moderation_threshold=moderation_threshold, roles=policy_config.roles)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        planned = plan_prompts(spec, paths, mode=mode)
        if planned is None:
            click.echo(f"dry run: would sample {n_samples} prompts from {spec.hf_dataset} on the Hugging Face "
                       f"Hub into {paths.prompts} (not contacted in a dry run)")
        else:
            click.echo("dry run: nothing is written.\n" + status_block(prompts_status(planned)))
        return
    with locked_run(paths.root):
        prepared = prepare_prompts(spec, paths, mode=mode)
    ConsoleReporter(quiet=quiet).status(prompts_status(prepared))
    click.echo(f"{paths.prompts}: {len(prepared.prompts)} prompts" + (" (kept)" if prepared.reused else ""))


if __name__ == "__main__":
    main()
