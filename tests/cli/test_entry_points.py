"""Every entry point explains every option, shows defaults as a user types them,
and is listed in the registry the vocabulary test uses."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from .entry_points import ENTRY_POINTS, REPO, command, options

SCRIPT_DIRS = (".", "pipeline_steps", "benchmarks", "benchmarks/lib", "tools")


def _modules_with_a_command() -> set[str]:
    found = set()
    for directory in SCRIPT_DIRS:
        for path in (REPO / directory).glob("*.py"):
            if re.search(r"^@(click\.)?command\(", path.read_text(encoding="utf-8"), re.M):
                module = path.relative_to(REPO).with_suffix("").as_posix().replace("/", ".").removeprefix("..")
                found.add(module.lstrip("."))
    for path in (REPO / "cje").rglob("*.py"):
        if re.search(r"^@(click\.)?command\(", path.read_text(encoding="utf-8"), re.M):
            found.add(path.relative_to(REPO).with_suffix("").as_posix().replace("/", "."))
    return found


def test_the_registry_lists_every_command_of_the_project():
    assert _modules_with_a_command() == set(ENTRY_POINTS.values())


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_every_option_has_help_and_defaults_read_as_typed(name):
    main = command(name)
    for param in main.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), f"{name} {param.opts[0]} has no help text"
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert str(REPO) not in result.output, f"{name} --help shows a path of this machine"
    for flag in options(name):
        assert flag in result.output


@pytest.mark.parametrize("name", ["generate_arena_data.py", "analyze_dataset.py", "cje.simulator"])
def test_help_exits_0_with_the_boundary(name):
    result = CliRunner().invoke(command(name), ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
