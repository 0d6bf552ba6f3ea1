#!/usr/bin/env python3
"""Step 5: join everything into DATA_DIR/cje_dataset.jsonl for analyze_dataset.py.

One row per prompt with a successful logging-policy response and judge score:
prompt_id, prompt, response, base_policy_logprob, target_policy_logprobs
{policy: float or null}, judge_score, oracle_label (when labelled). The
responses/ views (the fresh draws the analysis reads) are refreshed too.
Refuses, naming the files and prompts, if any score or log-prob was computed
from a different response text than the current one (run
generate_arena_data.py again to recompute those). Use the same --seed and
fractions as the run: they decide which rows carry oracle labels. --dry-run
says what would be written (or why the build would refuse) and writes
nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import (
    data_dir_option,
    dry_run_option,
    oracle_fraction_option,
    policy_config_option,
    probe_fraction_option,
    seed_option,
)
from cje.cli.pipeline import dataset_lines
from cje.cli.session import configure_logging, locked_run
from cje.pipeline.dataset import build_dataset
from cje.pipeline.prompts import read_prompts
from cje.pipeline.records import DataPaths
from cje.pipeline.settings import RunSettings


@command(help=__doc__)
@oracle_fraction_option
@probe_fraction_option
@data_dir_option
@seed_option
@dry_run_option
@policy_config_option
def main(oracle_fraction: float, probe_fraction: float, data_dir: str, seed: int, dry_run: bool,
         policy_config: PolicyConfig) -> None:
    configure_logging(verbose=False)
    roles = policy_config.roles
    settings = RunSettings(seed=seed, oracle_fraction=oracle_fraction, probe_fraction=probe_fraction)
    paths = DataPaths(Path(data_dir))
    if dry_run:
        report = build_dataset(paths, read_prompts(paths), roles, settings, write=False)
        click.echo("dry run: nothing is written; the build would give:\n" + "\n".join(dataset_lines(report)))
        return
    with locked_run(paths.root):
        report = build_dataset(paths, read_prompts(paths), roles, settings)
    click.echo("\n".join(dataset_lines(report)))


if __name__ == "__main__":
    main()
