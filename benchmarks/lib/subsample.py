"""Seeded prompt subsamples of a dataset."""

from __future__ import annotations

import numpy as np

from cje.data.tables import Dataset, FreshTable, LoggedTable


def subsample_prompts(dataset: Dataset, n_prompts: int, rng: np.random.Generator) -> Dataset:
    """``n_prompts`` logged prompts drawn without replacement, with every fresh
    draw of those prompts.

    The draw depends on the set of prompt ids and ``rng`` only, never on row
    order (ids are sorted before the permutation). Asking for at least as many
    prompts as there are returns the dataset unchanged.
    """
    logged = dataset.logged
    if n_prompts >= logged.n:
        return dataset
    if n_prompts < 1:
        raise ValueError(f"a subsample needs at least one prompt, got {n_prompts}")
    by_id = np.argsort(logged.prompt_id.astype(str), kind="stable")
    rows = np.sort(by_id[rng.permutation(logged.n)[:n_prompts]])
    kept_ids = logged.prompt_id[rows]
    fresh = {policy: _take_fresh(table, np.isin(table.prompt_id, kept_ids))
             for policy, table in dataset.fresh.items()}
    return Dataset(logged=_take_logged(logged, rows), fresh=fresh, judge_scale=dataset.judge_scale,
                   oracle_scale=dataset.oracle_scale, notes=dataset.notes)


def _take_logged(logged: LoggedTable, rows: np.ndarray) -> LoggedTable:
    def take(column: np.ndarray | None) -> np.ndarray | None:
        return None if column is None else column[rows]

    return LoggedTable(
        prompt_id=logged.prompt_id[rows],
        judge_score=logged.judge_score[rows],
        oracle_label=logged.oracle_label[rows],
        reward=logged.reward[rows],
        base_logprob=logged.base_logprob[rows],
        target_logprob={p: v[rows] for p, v in logged.target_logprob.items()},
        source=logged.source,
        line=take(logged.line),
        prompt=take(logged.prompt),
        response=take(logged.response),
    )


def _take_fresh(fresh: FreshTable, keep: np.ndarray) -> FreshTable:
    return FreshTable(policy=fresh.policy, prompt_id=fresh.prompt_id[keep],
                      judge_score=fresh.judge_score[keep], oracle_label=fresh.oracle_label[keep],
                      source=fresh.source)
