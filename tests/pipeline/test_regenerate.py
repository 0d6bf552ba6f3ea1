"""regenerate_failed_responses.py: reports failures per policy and error type,
retries them with a fresh sample, and the values of the old texts become
stale - the build refuses them and the next pipeline run recomputes exactly
those."""

from __future__ import annotations

from click.testing import CliRunner

import generate_arena_data
import policy_config as pc
import regenerate_failed_responses
from cje.pipeline.records import DataPaths, read_log
from pipeline_steps import build_dataset, generate_responses

from .helpers import CHAT, COMPLETIONS, env_for, read_jsonl, schedule, small_prompts_file, stats

N = 6
BASE, PREMIUM = pc.POLICIES["base"], pc.POLICIES["premium"]


def invoke(command, args, sim):
    result = CliRunner().invoke(command.main, [*args, "--retry-base-delay", "0.001"] if command is not build_dataset
                                else args, env=env_for(sim), catch_exceptions=False)
    return result


def pipeline_args(tmp_path):
    return ["--n-samples", str(N), "--prompts-file", str(small_prompts_file(tmp_path, 30)),
            "--data-dir", str(tmp_path / "data"), "--probe-fraction", "0.5", "--quiet"]


def test_failures_are_reported_regenerated_and_their_stale_values_recomputed(clean_sim, tmp_path):
    data = DataPaths(tmp_path / "data")
    assert invoke(generate_arena_data, pipeline_args(tmp_path), clean_sim).exit_code == 0
    first = {p: read_log(data.generations(p)) for p in ("base", "premium")}

    # A forced re-generation meets a 503 storm on one base request and a 400 on
    # one premium request: those rows fail; their old scores stay in the logs.
    schedule(clean_sim, [{"kind": "503", "path": CHAT, "model": BASE.model, "count": 5},
                         {"kind": "400", "path": CHAT, "model": PREMIUM.model}])
    forced = invoke(generate_responses, ["--force", "--policies", "base", "--policies", "premium",
                                         "--concurrency", "1", "--data-dir", str(data.root), "--quiet"], clean_sim)
    assert forced.exit_code == 0 and "FAILED 2" in forced.output

    before = stats(clean_sim)["requests"]
    dry = invoke(regenerate_failed_responses, ["--dry-run", "--data-dir", str(data.root)], clean_sim)
    assert dry.exit_code == 0 and stats(clean_sim)["requests"] == before
    table = dry.output.splitlines()
    assert any(line.split()[:4] == ["base", "1", "0", "1"] for line in table)
    assert any(line.split()[:4] == ["premium", "0", "1", "1"] for line in table)
    assert "HTTP 503" in dry.output and "HTTP 400" in dry.output and "dry run" in dry.output

    chats = stats(clean_sim)["by_path"][CHAT]
    regenerated = invoke(regenerate_failed_responses, ["--data-dir", str(data.root), "--quiet"], clean_sim)
    assert regenerated.exit_code == 0 and stats(clean_sim)["by_path"][CHAT] - chats == 2
    changed = {}
    for policy in ("base", "premium"):
        log = read_log(data.generations(policy))
        [prompt_id] = [k for k, row in log.items() if row["draw"] == 1]  # a fresh sample
        assert log[prompt_id]["response"] is not None
        changed[policy] = log[prompt_id]["response"] != first[policy][prompt_id]["response"]
    assert changed["base"], "the test needs a regenerated base text that differs from the old one"
    view = {row["prompt_id"]: row for row in read_jsonl(data.responses("base"))}
    assert sum(row["judge_score"] is None for row in view.values()) == 1  # the new text is not scored yet

    refused = invoke(build_dataset, ["--data-dir", str(data.root), "--probe-fraction", "0.5"], clean_sim)
    assert refused.exit_code == 2 and "refusing to build the dataset" in refused.output
    assert "base_judge.jsonl: 1 rows" in refused.output and "base_logprobs.jsonl: 1 rows" in refused.output

    before = stats(clean_sim)
    rerun = invoke(generate_arena_data, pipeline_args(tmp_path), clean_sim)
    assert rerun.exit_code == 0, rerun.output
    after = stats(clean_sim)
    judged = after["by_model"][pc.JUDGE.model] - before["by_model"][pc.JUDGE.model]
    assert judged == 1 + int(changed["premium"])  # exactly the regenerated texts
    echoes = after["by_path"][COMPLETIONS] - before["by_path"][COMPLETIONS]
    # the new base text under every policy, a new premium text under premium and base
    assert echoes == len(pc.POLICIES) + 2 * int(changed["premium"])
    assert after["by_path"][CHAT] - before["by_path"][CHAT] == judged + (
        after["by_model"][pc.ORACLE.model] - before["by_model"][pc.ORACLE.model])  # nothing regenerated
    assert len(read_jsonl(data.dataset)) == N
