"""The truth endpoint: values over the prompts served, and the population."""

from __future__ import annotations

import json

import numpy as np
import pytest

import policy_config as pc
from cje.world.truth import population_truth, prompt_values

from .helpers import PROMPTS, chat_body, make_config, raw_request


def test_truth_averages_over_distinct_served_prompts(fresh_sim):
    sim = fresh_sim
    served = PROMPTS[:3]
    for prompt in served:
        for _ in range(2):  # repeats do not count twice
            assert raw_request(sim, "POST", "/v1/chat/completions", chat_body(prompt))[0] == 200
    premium = pc.POLICIES["premium"]
    assert raw_request(sim, "POST", "/v1/chat/completions", chat_body(PROMPTS[4], premium))[0] == 200
    report = raw_request(sim, "GET", "/v1/simulator/truth")[2]

    config = sim.app.config.world
    worlds = [sim.app.view.prompt(p) for p in (*served, PROMPTS[4])]
    for policy in config.policies:
        values = [prompt_values(w.candidates, config, policy)[0] for w in worlds]
        assert report["served"][policy] == pytest.approx(np.mean(values), abs=1e-12)
        assert report["sample"] == report["served"]
    assert report["n_prompts_served"] == 4
    assert report["served_by_policy"]["base"]["n_prompts"] == 3
    assert report["served_by_policy"]["premium"]["n_prompts"] == 1
    assert report["served_by_policy"]["premium"]["value"] == pytest.approx(
        prompt_values(worlds[3].candidates, config, "premium")[0], abs=1e-12
    )
    assert report["served_by_policy"]["unhelpful"] == {"value": None, "n_prompts": 0}
    assert report["population"] == population_truth(config, n_prompts=20_000)
    assert report["population"]["unhelpful"] < 0.4 < report["population"]["base"]


def test_truth_before_any_request_has_no_served_values(fresh_sim):
    report = raw_request(fresh_sim, "GET", "/v1/simulator/truth")[2]
    assert report["n_prompts_served"] == 0 and set(report["served"].values()) == {None}


def test_truth_file_is_written_on_request_and_at_shutdown(tmp_path):
    from cje.simulator import run_simulator

    path = tmp_path / "out" / "truth.json"
    with run_simulator(make_config(truth_file=path)) as sim:
        raw_request(sim, "GET", "/v1/simulator/truth")
        assert json.loads(path.read_text())["n_prompts_served"] == 0
        raw_request(sim, "POST", "/v1/chat/completions", chat_body(PROMPTS[0]))
    written = json.loads(path.read_text())
    assert written["n_prompts_served"] == 1 and written["seed"] == 42
    assert [p.name for p in path.parent.iterdir()] == ["truth.json"]
