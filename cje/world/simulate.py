"""The statistical simulator: complete datasets drawn from a world with known truth.

It produces the same tables the loader produces from real files, and writes the
same JSONL files the real pipeline writes, so every analysis path can be run
against it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.io.atomic import write_json_atomic, write_jsonl_atomic
from cje.world.config import WorldConfig
from cje.world.draw import Candidates, draw_candidates, draw_oracle_labels, log_policy, sample_candidates
from cje.world.truth import population_truth, sample_truth


@dataclass(frozen=True)
class SimulatedDataset:
    """A dataset with the values it estimates.

    ``truth`` is each policy's value over the world's prompt distribution (what
    an analysis estimates); ``sample_truth`` its average over the drawn prompts.
    """

    dataset: Dataset
    truth: Mapping[str, float]
    sample_truth: Mapping[str, float]
    config: WorldConfig
    seed: int


def simulate_dataset(
    n_prompts: int,
    *,
    seed: int,
    config: WorldConfig | None = None,
    draws_per_prompt: int = 1,
    oracle_fraction: float = 1.0,
    fresh_oracle_fraction: float = 0.0,
    logprob_noise: float = 0.0,
) -> SimulatedDataset:
    """Draw a complete dataset of ``n_prompts`` logged rows plus fresh draws.

    ``oracle_fraction`` of logged rows carry an oracle label (the analysis then
    keeps its own ``--oracle-coverage`` share of those); ``fresh_oracle_fraction``
    of fresh draws carry one too (a probe slice). ``logprob_noise`` adds the
    non-determinism of provider log-probs: a third of rows get Normal(0, sd)
    nats added to each target log-probability, so clone weights are no longer
    all one.
    """
    config = config or WorldConfig()
    rng = np.random.default_rng(seed)
    candidates = draw_candidates(config, rng, n_prompts)
    prompt_id = np.array([f"sim_{i}" for i in range(n_prompts)], dtype=object)
    rows = np.arange(n_prompts)

    logger_lp = log_policy(candidates, config, config.logging_policy)
    chosen = sample_candidates(logger_lp, rng)[:, 0]
    targets = {}
    for policy in config.target_policies:
        lp = log_policy(candidates, config, policy)[rows, chosen]
        if logprob_noise > 0:
            jittered = rng.random(n_prompts) < 1 / 3
            lp = lp + jittered * rng.normal(0.0, logprob_noise, n_prompts)
            lp = np.minimum(lp, 0.0)
        targets[policy] = lp
    labels = draw_oracle_labels(candidates.oracle_center[rows, chosen], config, rng)
    labels[rng.random(n_prompts) >= oracle_fraction] = np.nan
    logged = LoggedTable(
        prompt_id=prompt_id,
        judge_score=candidates.judge_score[rows, chosen],
        oracle_label=labels,
        reward=np.full(n_prompts, np.nan),
        base_logprob=logger_lp[rows, chosen],
        target_logprob=targets,
        prompt=np.array([f"Simulated prompt {i}" for i in range(n_prompts)], dtype=object),
        response=np.array(
            [f"Candidate {k} for simulated prompt {i}" for i, k in enumerate(chosen)], dtype=object
        ),
    )
    fresh = {
        policy: _fresh_draws(candidates, config, policy, prompt_id=prompt_id, rng=rng, draws=draws_per_prompt,
                             oracle_fraction=fresh_oracle_fraction)
        for policy in config.target_policies
    }
    return SimulatedDataset(
        dataset=Dataset(logged=logged, fresh=fresh),
        truth=population_truth(config),
        sample_truth=sample_truth(candidates, config),
        config=config,
        seed=seed,
    )


def _fresh_draws(candidates: Candidates, config: WorldConfig, policy: str, *, prompt_id: np.ndarray,
                 rng: np.random.Generator, draws: int, oracle_fraction: float) -> FreshTable:
    lp = log_policy(candidates, config, policy)
    picks = sample_candidates(lp, rng, draws)
    rows = np.repeat(np.arange(len(prompt_id)), draws)
    chosen = picks.reshape(-1)
    labels = draw_oracle_labels(candidates.oracle_center[rows, chosen], config, rng)
    labels[rng.random(len(rows)) >= oracle_fraction] = np.nan
    logger_lp = log_policy(candidates, config, config.logging_policy)
    return FreshTable(
        policy=policy,
        prompt_id=prompt_id[rows],
        judge_score=candidates.judge_score[rows, chosen],
        oracle_label=labels,
        target_logprob=lp[rows, chosen],
        logger_logprob=logger_lp[rows, chosen],
    )


def write_simulated_dataset(sim: SimulatedDataset, data_dir: str | Path) -> Path:
    """Write the dataset as the pipeline would: ``cje_dataset.jsonl``,
    ``responses/{policy}_responses.jsonl`` and ``truth.json``. Returns the
    dataset path."""
    data_dir = Path(data_dir)
    logged = sim.dataset.logged
    dataset_path = data_dir / "cje_dataset.jsonl"
    write_jsonl_atomic(dataset_path, _logged_rows(logged))
    for policy, fresh in sim.dataset.fresh.items():
        write_jsonl_atomic(data_dir / "responses" / f"{policy}_responses.jsonl", _fresh_rows(fresh))
    write_json_atomic(
        data_dir / "truth.json",
        {
            "source": "cje statistical simulator",
            "seed": sim.seed,
            "population": dict(sim.truth),
            "sample": dict(sim.sample_truth),
        },
    )
    return dataset_path


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _logged_rows(logged: LoggedTable) -> Iterator[dict[str, object]]:
    prompt = logged.prompt if logged.prompt is not None else logged.prompt_id
    response = logged.response if logged.response is not None else np.full(logged.n, "", dtype=object)
    for i in range(logged.n):
        row: dict[str, object] = {
            "prompt_id": logged.prompt_id[i],
            "prompt": prompt[i],
            "response": response[i],
            "base_policy_logprob": _number(logged.base_logprob[i]),
            "target_policy_logprobs": {p: _number(v[i]) for p, v in logged.target_logprob.items()},
            "judge_score": _number(logged.judge_score[i]),
        }
        label = _number(logged.oracle_label[i])
        if label is not None:
            row["oracle_label"] = label
        yield row


def _fresh_rows(fresh: FreshTable) -> Iterator[dict[str, object]]:
    draw_index: dict[str, int] = {}
    for i in range(fresh.n):
        pid = fresh.prompt_id[i]
        draw_index[pid] = draw_index.get(pid, -1) + 1
        row: dict[str, object] = {
            "prompt_id": pid,
            "draw_idx": draw_index[pid],
            "judge_score": _number(fresh.judge_score[i]),
        }
        if fresh.target_logprob is not None and fresh.logger_logprob is not None:
            row["target_policy_logprob"] = _number(fresh.target_logprob[i])
            row["base_policy_logprob"] = _number(fresh.logger_logprob[i])
        label = _number(fresh.oracle_label[i])
        if label is not None:
            row["oracle_label"] = label
        yield row
