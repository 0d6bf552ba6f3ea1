"""Loading calibration covariates: named fields, computed response length, loud problems."""

import json

import numpy as np
import pytest

from cje.data.load import load_dataset
from cje.errors import DataValidationError


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _row(i, **extra):
    return {"prompt_id": f"p{i}", "prompt": "q", "response": "x" * (10 * (i + 1)), "judge_score": 0.5,
            "base_policy_logprob": -1.0, "target_policy_logprobs": {"a": -1.0}, **extra}


def test_response_length_is_computed_and_named_fields_are_read(tmp_path):
    _write(tmp_path / "d.jsonl", [_row(0, tokens=5), _row(1, metadata={"tokens": 7})])
    (tmp_path / "responses").mkdir()
    _write(tmp_path / "responses" / "a_responses.jsonl",
           [{"prompt_id": "p0", "response": "abc", "judge_score": 0.4, "tokens": 2, "response_length": 99}])
    dataset = load_dataset(tmp_path / "d.jsonl", covariates=("response_length", "tokens"))
    np.testing.assert_array_equal(dataset.logged.covariates["response_length"], [10, 20])
    np.testing.assert_array_equal(dataset.logged.covariates["tokens"], [5, 7])
    fresh = dataset.fresh["a"].covariates
    assert fresh["response_length"][0] == 99 and fresh["tokens"][0] == 2  # a stated length wins


def test_a_missing_covariate_is_located(tmp_path):
    _write(tmp_path / "d.jsonl", [_row(0, tokens=5), _row(1)])
    with pytest.raises(DataValidationError, match=r"d.jsonl:2: tokens"):
        load_dataset(tmp_path / "d.jsonl", covariates=("tokens",))


def test_no_covariates_unless_asked(tmp_path):
    _write(tmp_path / "d.jsonl", [_row(0)])
    assert dict(load_dataset(tmp_path / "d.jsonl").logged.covariates) == {}
