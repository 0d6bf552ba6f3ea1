"""The README's Python API example runs as written."""

import contextlib
import io
import os
import re

from .conftest import REPO_ROOT


def python_api_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert found, "the Python API section has no python example"
    return found.group(1)


def test_the_python_api_example_runs(tmp_path):
    code = python_api_example()
    output = io.StringIO()
    before = os.getcwd()
    os.chdir(tmp_path)  # the example writes under data/sim
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(code, "README.md (Python API)", "exec"), {"__name__": "readme_example"})
    finally:
        os.chdir(before)
    printed = output.getvalue()
    assert "stacked-dr · sim/cje_dataset.jsonl" in printed and "refuse" in printed
    assert (tmp_path / "data" / "sim" / "report.html").stat().st_size > 10_000
