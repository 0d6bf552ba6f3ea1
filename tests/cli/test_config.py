"""--policy-config: the project's file by default (from any working directory), and
a clear message for a file that breaks the contract."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cje.cli.config import DEFAULT_POLICY_CONFIG, PolicyConfigError, load_policy_config
from cje.io.names import PolicyNameError
from tests.conftest import REPO_ROOT

GOOD = DEFAULT_POLICY_CONFIG.read_text(encoding="utf-8")


def test_the_default_is_the_projects_file_with_prices():
    config = load_policy_config()
    assert config.path == REPO_ROOT / "policy_config.py"
    assert config.roles.logging_policy == "base" and "unhelpful" in config.roles.policies
    assert config.prices["gpt-5"].output_per_million > 0


def test_scripts_find_it_from_another_working_directory(tmp_path):
    done = subprocess.run([sys.executable, str(REPO_ROOT / "generate_arena_data.py"), "--n-samples", "3",
                           "--prompts-file", str(REPO_ROOT / "cje/pipeline/default_prompts.jsonl"),
                           "--data-dir", str(tmp_path / "data"), "--dry-run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CJE_BASE_URL": "http://127.0.0.1:9/v1"})
    assert done.returncode == 0, done.stderr
    assert "5 policies x 3 prompts" in done.stdout and not (tmp_path / "data").exists()


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.replace('"clone": _policy("clone"', '"../x": _policy("../x"'), "not allowed"),
    (lambda s: s.replace('LOGGING_POLICY = "base"', 'LOGGING_POLICY = "nobody"'), "LOGGING_POLICY"),
    (lambda s: s.replace("temperature=0.7", "temperature=float('nan')"), "temperature"),
    (lambda s: s + "\nPRICES['gpt-5'] = (1.0, -2.0)\n", "PRICES['gpt-5']"),
    (lambda s: s + "\ndef (:\n", "syntax error"),
    (lambda s: s + "\nundefined_name\n", "NameError"),
    (lambda s: s + "\nraise RuntimeError('boom')\n", "RuntimeError: boom"),
    (lambda s: s + "\nPOLICIES = None\n", "POLICIES must be a dict"),
])
def test_a_broken_config_is_one_message_naming_the_file(tmp_path, change, message):
    path = tmp_path / "my_config.py"
    path.write_text(change(GOOD), encoding="utf-8")
    with pytest.raises((PolicyConfigError, PolicyNameError)) as caught:
        load_policy_config(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_missing_config_says_where_the_default_is(tmp_path):
    with pytest.raises(PolicyConfigError, match="no such policy config file"):
        load_policy_config(tmp_path / "nope.py")
