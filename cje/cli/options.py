"""Options that several scripts share, defined once."""

from __future__ import annotations

import click

quiet_option = click.option(
    "--quiet", is_flag=True, help="Print only the results table: no status text, no progress bars."
)
seed_option = click.option(
    "--seed", type=int, default=42, show_default=True,
    help="Seed for every random choice; the same seed gives the same result.",
)
data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default="data", show_default=True,
    help="Directory holding prompts, responses, log-probs and the dataset.",
)
