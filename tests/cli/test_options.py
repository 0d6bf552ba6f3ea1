"""Shared options: several values after one flag, finite numbers only, safe policy names."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cje.cli.errors import command
from cje.cli.options import finite_float, policies_option, seed_option


@command()
@policies_option("Only these.")
@click.option("--level", type=finite_float(0, 1), default=0.5, show_default=True, help="A level.")
@seed_option
@click.argument("rest", nargs=-1)
def probe(policy_names, level, seed, rest):
    click.echo(f"{list(policy_names)}|{level}|{seed}|{list(rest)}")


def run(*args: str):
    return CliRunner().invoke(probe, list(args))


@pytest.mark.parametrize("args", [
    ["--policies", "clone", "unhelpful"],
    ["--policies", "clone,unhelpful"],
    ["--policies", "clone", "--policies", "unhelpful"],
    ["--policies", "clone,", "unhelpful", "clone"],
])
def test_policies_take_spaces_commas_or_repeats(args):
    result = run(*args)
    assert result.exit_code == 0 and result.output.startswith("['clone', 'unhelpful']|")


def test_names_run_up_to_the_next_option():
    result = run("--policies", "a", "b", "--seed", "7")
    assert result.output.strip() == "['a', 'b']|0.5|7|[]"


@pytest.mark.parametrize("name", ["../x", "a b", "x\ny", "-", "é", "a" * 65, ".hidden"])
def test_unsafe_policy_names_are_refused(name):
    result = run("--policies", f"ok,{name}")
    assert result.exit_code == 2 and "not allowed" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "2"])
def test_numbers_must_be_finite_and_in_range(value):
    result = run("--level", value)
    assert result.exit_code == 2 and "--level" in result.output


@pytest.mark.parametrize("value", ["-1", "4294967296", "x"])
def test_seeds_are_non_negative_integers_that_fit(value):
    result = run("--seed", value)
    assert result.exit_code == 2 and "--seed" in result.output
