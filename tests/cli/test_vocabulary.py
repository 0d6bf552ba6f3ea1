"""The README's vocabulary table matches the code: every option that more than one
entry point takes is in it, each row lists exactly the entry points that take it,
and each default is what that entry point's --help shows."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

from .entry_points import ENTRY_POINTS, options, shown_default

GROUPS = {
    "pipeline": ("generate_arena_data.py", "regenerate_failed_responses.py", "prepare_prompts.py",
                 "generate_responses.py", "add_scores_with_resume.py", "compute_logprobs.py", "build_dataset.py"),
    "requesting": ("generate_arena_data.py", "regenerate_failed_responses.py", "generate_responses.py",
                   "add_scores_with_resume.py", "compute_logprobs.py"),
}


def readme_table() -> dict[str, tuple[str, str]]:
    """flag -> (defaults cell, scripts cell)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- vocabulary -->\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert len(cells) == 4, line
        rows[cells[0].strip("`")] = (cells[2], cells[3])
    return rows


def expected_defaults(cell: str, scripts: set[str]) -> dict[str, str]:
    """``\\`v\\` (\\`a\\`, \\`b\\`: \\`w\\`; \\`c\\`: \\`x\\`)`` -> {script: default}."""
    common = re.match(r"`([^`]*)`", cell).group(1)
    defaults = dict.fromkeys(scripts, common)
    exceptions = re.search(r"\((.*)\)$", cell)
    if exceptions:
        for part in exceptions.group(1).split("; "):
            names, value = part.rsplit(": ", 1)
            for name in re.findall(r"`([^`]*)`", names):
                defaults[name] = value.strip("`")
    return defaults


def scripts_of(cell: str) -> set[str]:
    names = set(re.findall(r"`([^`]*)`", cell))
    for group in re.findall(r"\*\*(\w+)\*\*", cell):
        names.update(GROUPS[group])
    return names


def test_the_groups_are_spelled_out_in_the_readme():
    text = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    for group, members in GROUPS.items():
        sentence = re.split(r"\*\*|\)\. ", text.split(f"**{group}** means", 1)[1])[0]
        assert set(re.findall(r"`(\w+\.py)`", sentence)) == set(members), group


def test_the_vocabulary_table_matches_every_entry_point():
    users: dict[str, dict[str, str]] = {}
    for name in ENTRY_POINTS:
        for flag, option in options(name).items():
            users.setdefault(flag, {})[name] = shown_default(option)
    shared = {flag for flag, by in users.items() if len(by) > 1}
    table = readme_table()
    assert shared <= set(table), f"shared options missing from the README table: {sorted(shared - set(table))}"
    for flag, (defaults, scripts) in table.items():
        assert flag in users, f"README lists {flag}, which no entry point takes"
        assert scripts_of(scripts) == set(users[flag]), f"{flag}: README says {scripts}, code has {sorted(users[flag])}"
        assert expected_defaults(defaults, set(users[flag])) == users[flag], f"{flag}: defaults differ"


def test_old_names_are_gone():
    every = {flag for name in ENTRY_POINTS for flag in options(name)}
    assert not every & {"--n-prompts", "--timeout-s", "--coverages", "--coverage", "--estimators", "--out",
                        "--truth-file", "--clients"}
