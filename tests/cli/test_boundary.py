"""One error boundary for every entry point: each item that used to end in a
traceback now exits 2 (bad input) or 3 (the environment) with one message naming
the path or option; Ctrl-C at any moment is one line and status 130."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import subprocess
import threading
import time

import pytest
from click.testing import CliRunner

import analyze_dataset
import generate_arena_data
import regenerate_failed_responses
from cje.world.__main__ import main as world_main
from cje.world.simulate import write_simulated_dataset
from tests.conftest import REPO_ROOT

from .sandbox import python, run_on_mount, run_with_file_limit, start_on_mount

BAD_INPUT, ENVIRONMENT, INTERRUPTED = 2, 3, 130
PROMPTS = str(REPO_ROOT / "cje" / "pipeline" / "default_prompts.jsonl")


@pytest.fixture(scope="module")
def data(tmp_path_factory, small_sim):
    """A small simulated dataset with fresh draws (the session's, written out)."""
    directory = tmp_path_factory.mktemp("data")
    write_simulated_dataset(small_sim, directory)
    return directory


def analyse(*args: str):
    return CliRunner().invoke(analyze_dataset.main, ["--no-plots", "--quiet", *args])


def assert_refused(result, status: int, *names: str) -> None:
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    for name in names:
        assert name in result.output, result.output


@pytest.mark.parametrize(("args", "option"), [
    (["--oracle-coverage", "nan"], "--oracle-coverage"),
    (["--ci-level", "nan"], "--ci-level"),
    (["--seed", "-1"], "--seed"),
    (["--jackknife-folds", "1000", "--oracle-coverage", "0.5"], "--jackknife-folds"),
])
def test_bad_analysis_options(data, args, option):
    assert_refused(analyse("--data", str(data / "cje_dataset.jsonl"), *args), BAD_INPUT, option)


@pytest.mark.parametrize(("args", "option"), [
    (["--seed", "-1"], "--seed"),
    (["--overlap", "inf"], "--overlap"),
])
def test_bad_world_options(tmp_path, args, option):
    result = CliRunner().invoke(world_main, ["--data-dir", str(tmp_path), *args])
    assert_refused(result, BAD_INPUT, option)


@pytest.mark.parametrize(("args", "option"), [
    (["--timeout", "nan"], "--timeout"),
    (["--retry-base-delay", "inf"], "--retry-base-delay"),
    (["--requests-per-minute", "nan"], "--requests-per-minute"),
])
def test_bad_pipeline_options(tmp_path, args, option):
    result = CliRunner().invoke(generate_arena_data.main, ["--n-samples", "2", "--prompts-file", PROMPTS,
                                                           "--data-dir", str(tmp_path), *args])
    assert_refused(result, BAD_INPUT, option)


@pytest.mark.parametrize(("content", "words"), [
    (b'{"clone": NaN, "premium": 0.5}', ["'clone'", "finite"]),
    (b'{"clone": 0.5, "premium": "\xff\xfe"}', ["not UTF-8"]),
    (b'{"clone": 0.5,', ["not valid JSON"]),
])
def test_a_bad_truth_file_is_refused_before_anything_is_printed(data, tmp_path, content, words):
    truth = tmp_path / "truth.json"
    truth.write_bytes(content)
    result = analyse("--data", str(data / "cje_dataset.jsonl"), "--truth", str(truth), "--output",
                     str(tmp_path / "results.json"))
    assert_refused(result, BAD_INPUT, str(truth), *words)
    assert not (tmp_path / "results.json").exists() and "estimate" not in result.output


def copy_data(data, tmp_path):
    target = tmp_path / "copy"
    (target / "responses").mkdir(parents=True)
    (target / "cje_dataset.jsonl").write_bytes((data / "cje_dataset.jsonl").read_bytes())
    for path in (data / "responses").iterdir():
        (target / "responses" / path.name).write_bytes(path.read_bytes())
    return target


def edit_rows(path, change) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_a_fresh_draw_with_a_list_as_draw_idx(data, tmp_path):
    copy = copy_data(data, tmp_path)
    edit_rows(copy / "responses" / "clone_responses.jsonl", lambda rows: rows[2].update(draw_idx=[1, 2]))
    result = analyse("--data", str(copy / "cje_dataset.jsonl"))
    assert_refused(result, BAD_INPUT, "clone_responses.jsonl:3", "draw_idx", "non-negative integer")


@pytest.mark.parametrize("name", ["p" * 300, "../x", "", "two\nlines"])
def test_unsafe_policy_names_in_a_dataset(data, tmp_path, name):
    copy = copy_data(data, tmp_path)
    edit_rows(copy / "cje_dataset.jsonl",
              lambda rows: [row["target_policy_logprobs"].update({name: -1.0}) for row in rows])
    result = analyse("--data", str(copy / "cje_dataset.jsonl"))
    assert_refused(result, BAD_INPUT, "cje_dataset.jsonl:1", "target_policy_logprobs", "not allowed")


def test_a_lone_surrogate_in_a_prompt(data, tmp_path):
    copy = copy_data(data, tmp_path)
    lines = (copy / "cje_dataset.jsonl").read_text().splitlines()
    lines[4] = lines[4].replace('"prompt_id": "', '"prompt_id": "\\ud800', 1)
    (copy / "cje_dataset.jsonl").write_text("\n".join(lines) + "\n")
    result = analyse("--data", str(copy / "cje_dataset.jsonl"))
    assert_refused(result, BAD_INPUT, "cje_dataset.jsonl:5", "surrogate")


def test_a_lone_surrogate_in_a_prompts_file(tmp_path):
    source = tmp_path / "prompts.jsonl"
    source.write_text('{"prompt": "fine"}\n{"prompt": "bad \\ud800 text"}\n')
    result = CliRunner().invoke(generate_arena_data.main, ["--n-samples", "2", "--prompts-file", str(source),
                                                           "--data-dir", str(tmp_path / "d"), "--dry-run"])
    assert_refused(result, BAD_INPUT, f"{source}:2", "surrogate")


def test_a_fresh_draws_file_given_as_data(data):
    result = analyse("--data", str(data / "responses" / "clone_responses.jsonl"))
    assert_refused(result, BAD_INPUT, "this looks like a fresh-draws file")
    assert result.output.count("\n") < 5


def test_unknown_policies_and_prompt_ids_are_reported(data, tmp_path):
    copy = copy_data(data, tmp_path)
    (copy / "responses" / "mystery_responses.jsonl").write_text('{"prompt_id": "x", "judge_score": 0.5}\n')
    edit_rows(copy / "responses" / "clone_responses.jsonl", lambda rows: rows[0].update(prompt_id="nowhere"))
    result = CliRunner().invoke(analyze_dataset.main, ["--data", str(copy / "cje_dataset.jsonl"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "mystery_responses.jsonl: not read" in result.output
    assert "1 fresh draws of clone have a prompt_id that is not in the dataset (e.g. 'nowhere')" in result.output


def test_output_to_a_fifo_delivers_the_json_and_leaves_the_fifo(data, tmp_path):
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = analyse("--data", str(data / "cje_dataset.jsonl"), "--output", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert json.loads(received[0])["policies"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_output_files_honour_the_umask(data, tmp_path):
    old = os.umask(0o022)
    try:
        result = analyse("--data", str(data / "cje_dataset.jsonl"), "--output", str(tmp_path / "r.json"))
    finally:
        os.umask(old)
    assert result.exit_code == 0 and stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644


def test_an_output_on_a_full_device(data):
    result = analyse("--data", str(data / "cje_dataset.jsonl"), "--output", "/dev/full")
    assert_refused(result, ENVIRONMENT, "/dev/full", "ENOSPC", "What to do")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_default_plots_beside_a_read_only_dataset(data, tmp_path):
    ro = tmp_path / "ro"
    done = run_on_mount(python(str(REPO_ROOT / "analyze_dataset.py"), "--data", str(ro / "cje_dataset.jsonl"),
                               "--output", str(tmp_path / "results.json"), "--estimator", "direct", "--quiet"),
                        ro, readonly=True, fill_from=data)
    assert done.returncode == ENVIRONMENT, done.stderr
    assert str(ro / "plots") in done.stderr and "read-only" in done.stderr.lower() and "Traceback" not in done.stderr
    assert json.loads((tmp_path / "results.json").read_text())["policies"]  # written before, and whole


CHECK_LOGS = """
import sys
from pathlib import Path
from cje.io.store import JsonlStore
for path in sorted(Path(sys.argv[1]).glob("generations/*.jsonl")):
    with JsonlStore(path, key="prompt_id") as store:  # opens cleanly: no torn or corrupt line inside
        print(path.name, len(store))
"""


def test_a_full_disk_while_appending_to_the_logs(tmp_path):
    from cje.simulator import run_simulator
    from tests.pipeline.helpers import env_for, sim_config, small_prompts_file

    data = tmp_path / "tiny" / "data"
    with run_simulator(sim_config()) as sim:
        done = run_on_mount(python(str(REPO_ROOT / "generate_arena_data.py"), "--n-samples", "40", "--prompts-file",
                                   str(small_prompts_file(tmp_path, 40)), "--data-dir", str(data), "--quiet"),
                            tmp_path / "tiny", size="96k", env={**os.environ, **env_for(sim)},
                            then=python("-c", CHECK_LOGS, str(data)))
    stderr = done.stderr.split("--- then ---")[0]
    assert done.returncode == ENVIRONMENT, stderr
    assert "No space left on device (ENOSPC)" in stderr and str(data) in stderr and "Traceback" not in stderr
    kept = done.stdout.split("--- then ---")[1].split()
    assert kept and "Traceback" not in done.stderr  # what was appended before the disk filled reads back whole


def test_a_full_disk_does_not_wait_for_requests_still_in_flight(tmp_path):
    # Requests take 0-4 s here, so when the disk fills several are still running;
    # their results can no longer be saved, so the command must end at once (it
    # used to wait for them, and closing their client under them could leave one
    # hanging until the 120 s request timeout).
    from cje.simulator import run_simulator
    from tests.pipeline.helpers import env_for, sim_config, small_prompts_file

    config = sim_config()
    config = dataclasses.replace(config, faults=dataclasses.replace(config.faults, latency_jitter_ms=4000.0))
    with run_simulator(config) as sim:
        process = start_on_mount(python(str(REPO_ROOT / "generate_arena_data.py"), "--n-samples", "40",
                                        "--prompts-file", str(small_prompts_file(tmp_path, 40)),
                                        "--data-dir", str(tmp_path / "tiny" / "data"), "--quiet"),
                                 tmp_path / "tiny", size="24k", env={**os.environ, **env_for(sim)})
        try:
            message = process.stderr.readline()
            said = time.monotonic()
            status = process.wait(timeout=60)
            waited = time.monotonic() - said
        finally:
            process.kill()
            process.communicate()
    assert status == ENVIRONMENT and "No space left on device (ENOSPC)" in message, message
    assert waited < 1.5, f"{waited:.1f} s from the message to the exit"


def test_a_file_size_limit_while_generating(tmp_path):
    done = run_with_file_limit(python(str(REPO_ROOT / "generate_arena_data.py"), "--n-samples", "300",
                                      "--prompts-file", PROMPTS, "--data-dir", str(tmp_path / "data"), "--quiet"),
                               20_000, env={**os.environ, "CJE_BASE_URL": "http://127.0.0.1:9/v1", "CJE_API_KEY": "x"})
    assert done.returncode == ENVIRONMENT, done.stderr
    assert "EFBIG" in done.stderr and str(tmp_path / "data") in done.stderr and "Traceback" not in done.stderr


def test_a_dry_run_reads_a_read_only_data_dir(tmp_path):
    source = tmp_path / "source"
    prompts = source / "prompts.jsonl"
    source.mkdir()
    prompts.write_text('{"prompt_id": "p1", "prompt": "hello"}\n')
    (source / "generations").mkdir()
    (source / "generations" / "clone_generations.jsonl").write_text(
        '{"prompt_id": "p1", "response": null, "error": "HTTP 503", "error_type": "retryable", "draw": 0}\n')
    ro = tmp_path / "ro"
    done = run_on_mount(python(str(REPO_ROOT / "regenerate_failed_responses.py"), "--data-dir", str(ro),
                               "--dry-run", "--policies", "clone"), ro, readonly=True, fill_from=source)
    assert done.returncode == 0, done.stderr
    assert "clone" in done.stdout and "to redo" in done.stdout and "failed 1" in done.stdout


def interrupt_while_importing(args: list[str]) -> tuple[int, str]:
    """Start ``args``, send Ctrl-C once numpy is being loaded (so cje, which is
    imported first, has installed its start-up handler), return status and stderr."""
    process = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    maps = f"/proc/{process.pid}/maps"
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if "_multiarray_umath" in open(maps).read():
                break
        except OSError:
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


@pytest.mark.parametrize("args", [python(str(REPO_ROOT / "analyze_dataset.py"), "--help"),
                                  python("-m", "cje.world", "--help")], ids=["script", "module"])
def test_ctrl_c_while_starting_up_is_one_line_and_130(args):
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("needs /proc to see when the imports run")
    status, stderr = interrupt_while_importing(args)
    if status == 0:
        pytest.skip("the imports finished before the signal arrived")
    assert status == INTERRUPTED and "Traceback" not in stderr, stderr
    assert stderr.strip().count("\n") == 0 and "interrupted" in stderr


def test_regenerate_dry_run_needs_a_prompts_file(tmp_path):
    result = CliRunner().invoke(regenerate_failed_responses.main, ["--data-dir", str(tmp_path), "--dry-run"])
    assert_refused(result, BAD_INPUT, "prompts.jsonl does not exist")
