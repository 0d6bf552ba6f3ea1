"""The dataset the pipeline writes is exactly what the analysis reads: the
loader accepts it and the fresh-draw views, a failed log-prob nulls one policy
only, a prompt without a logging-policy response is left out and counted."""

from __future__ import annotations

import numpy as np

import policy_config as pc
from cje.data.load import load_dataset
from cje.pipeline.prompts import PromptSpec
from cje.pipeline.records import DataPaths
from cje.pipeline.run import run_pipeline
from cje.pipeline.runner import SilentReporter

from .helpers import CHAT, COMPLETIONS, ROLES, env_for, fast_api, read_jsonl, run_settings, schedule, small_prompts_file

N = 12
PREMIUM = pc.POLICIES["premium"]


def test_the_analysis_loads_what_the_pipeline_writes(clean_sim, tmp_path):
    schedule(clean_sim, [
        {"kind": "400", "path": CHAT, "model": pc.POLICIES["base"].model},  # one failed generation
        {"kind": "404", "path": COMPLETIONS, "model": PREMIUM.model},  # one failed log-prob
    ])
    paths = DataPaths(tmp_path / "data")
    spec = PromptSpec(n_samples=N, seed=11, prompts_file=small_prompts_file(tmp_path, 60))
    report = run_pipeline(spec, ROLES, run_settings(probe_fraction=0.5), api=fast_api(), paths=paths,
                          reporter=SilentReporter(), env=env_for(clean_sim))

    assert report.dataset.left_out == {"no successful response": 1}
    assert report.dataset.null_logprobs == {"premium": 1}
    dataset = load_dataset(paths.dataset)
    logged = dataset.logged
    assert logged.n == N - 1 == report.dataset.rows
    assert np.isnan(logged.target_logprob["premium"]).sum() == 1
    for policy in ("clone", "parallel_universe_prompt", "unhelpful"):
        assert np.isfinite(logged.target_logprob[policy]).all()
    assert np.isfinite(logged.base_logprob).all() and np.isfinite(logged.oracle_label).all()
    assert set(dataset.fresh) == set(ROLES.target_policies)
    probes = sum(int(np.isfinite(table.oracle_label).sum()) for table in dataset.fresh.values())
    assert 0 < probes < N * len(ROLES.target_policies)  # a probe slice, not every draw

    rows = read_jsonl(paths.dataset)
    assert set(rows[0]) >= {"prompt_id", "prompt", "response", "base_policy_logprob", "target_policy_logprobs",
                            "judge_score", "oracle_label"}
    views = read_jsonl(paths.responses("base"))
    failed = [row for row in views if row["response"] is None]
    assert len(views) == N and len(failed) == 1
    assert failed[0]["error_type"] == "non_retryable" and failed[0]["judge_score"] is None
    for row in views:
        if row["response"] is not None:
            assert {"prompt_id", "prompt", "response", "model", "temperature", "finish_reason", "usage",
                    "judge_score", "response_hash"} <= set(row)
