"""Write a simulated dataset with known truth: ``python -m cje.world --help``."""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.errors import command
from cje.cli.options import finite_float, seed_option
from cje.world.config import WorldConfig
from cje.world.simulate import simulate_dataset, write_simulated_dataset


@command()
@click.option("--n-samples", "n_prompts", type=click.IntRange(10), default=1000, show_default=True,
              help="How many prompts to draw (one logged response each).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default="data/simulated",
              show_default=True, help="Where cje_dataset.jsonl, responses/ and truth.json go.")
@seed_option
@click.option("--oracle-fraction", type=finite_float(0, 1), default=1.0, show_default=True,
              help="Share of logged rows that carry an oracle label.")
@click.option("--probe-fraction", type=finite_float(0, 1), default=0.05, show_default=True,
              help="Share of each target policy's fresh draws that carry an oracle label (a probe slice).")
@click.option("--draws-per-prompt", type=click.IntRange(1), default=1, show_default=True,
              help="Fresh draws per prompt and target policy (responses/{policy}_responses.jsonl).")
@click.option("--overlap", type=finite_float(0), default=1.0, show_default=True,
              help="How far targets stray from the logger: 0 = copies, >1 = poorer overlap.")
@click.option("--logprob-noise", type=finite_float(0), default=0.0, show_default=True,
              help="Provider log-prob noise (nats) added to a third of rows.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def main(*, n_prompts: int, data_dir: Path, seed: int, oracle_fraction: float, probe_fraction: float,
         draws_per_prompt: int, overlap: float, logprob_noise: float, quiet: bool) -> None:
    """Draw a complete CJE dataset from the statistical simulator: a world with
    five policies (one of which fools the judge) whose true values are known."""
    sim = simulate_dataset(
        n_prompts, seed=seed, config=WorldConfig(overlap=overlap), draws_per_prompt=draws_per_prompt,
        oracle_fraction=oracle_fraction, fresh_oracle_fraction=probe_fraction,
        logprob_noise=logprob_noise,
    )
    path = write_simulated_dataset(sim, data_dir)
    if not quiet:
        click.echo(f"wrote {path} ({n_prompts} prompts), fresh draws in {data_dir / 'responses'}, "
                   f"true values in {data_dir / 'truth.json'}")
        for policy, value in sim.truth.items():
            click.echo(f"  true value of {policy}: {value:.4f}")


if __name__ == "__main__":
    main()
