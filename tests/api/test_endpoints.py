"""Resolving policy_config roles against the environment; keys never shown."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pytest

import policy_config
from cje.api.endpoints import Endpoint, Secret, resolve_endpoint
from cje.api.errors import MissingAPIKeyError

KEY = "sk-live-VERYSECRET-42"


def test_a_role_resolves_to_its_own_endpoint_and_key() -> None:
    endpoint = resolve_endpoint(policy_config.POLICIES["premium"], env={"FIREWORKS_API_KEY": KEY})
    assert endpoint.model == policy_config.LLAMA_405B
    assert endpoint.base_url == policy_config.FIREWORKS[0]
    assert endpoint.api_key_env == "FIREWORKS_API_KEY"
    assert endpoint.api_key.reveal() == KEY
    assert (endpoint.temperature, endpoint.system_prompt) == (0.7, policy_config.HELPFUL_SYSTEM_PROMPT)


def test_base_url_and_key_overrides_apply_to_every_role() -> None:
    env = {"CJE_BASE_URL": "http://127.0.0.1:9/v1", "CJE_API_KEY": KEY}
    roles = [*policy_config.POLICIES.values(), policy_config.JUDGE, policy_config.ORACLE]
    endpoints = [resolve_endpoint(role, env=env) for role in roles]
    assert {e.base_url for e in endpoints} == {"http://127.0.0.1:9/v1"}
    assert {e.api_key_env for e in endpoints} == {"CJE_API_KEY"}
    assert [e.model for e in endpoints] == [role.model for role in roles]


@pytest.mark.parametrize(
    ("role", "variable"), [(policy_config.JUDGE, "CJE_JUDGE_MODEL"), (policy_config.ORACLE, "CJE_ORACLE_MODEL")]
)
def test_scorer_model_overrides_touch_only_their_role(role: policy_config.Role, variable: str) -> None:
    env = {"OPENAI_API_KEY": KEY, "FIREWORKS_API_KEY": KEY, variable: "local-scorer"}
    assert resolve_endpoint(role, env=env).model == "local-scorer"
    assert resolve_endpoint(policy_config.POLICIES["base"], env=env).model == policy_config.LLAMA_70B
    other = policy_config.ORACLE if role is policy_config.JUDGE else policy_config.JUDGE
    assert resolve_endpoint(other, env=env).model == other.model


def test_empty_variables_count_as_unset() -> None:
    env = {"CJE_BASE_URL": "", "CJE_API_KEY": "  ", "OPENAI_API_KEY": KEY, "CJE_JUDGE_MODEL": ""}
    endpoint = resolve_endpoint(policy_config.JUDGE, env=env)
    assert (endpoint.base_url, endpoint.api_key_env, endpoint.model) == (
        policy_config.OPENAI[0], "OPENAI_API_KEY", policy_config.JUDGE.model)


def test_a_missing_key_names_the_variables() -> None:
    with pytest.raises(MissingAPIKeyError) as caught:
        resolve_endpoint(policy_config.JUDGE, env={"FIREWORKS_API_KEY": KEY})
    assert caught.value.variables == ("CJE_API_KEY", "OPENAI_API_KEY")
    assert "OPENAI_API_KEY" in str(caught.value) and KEY not in str(caught.value)


def test_the_key_is_in_no_repr_and_cannot_be_serialised() -> None:
    endpoint = resolve_endpoint(policy_config.JUDGE, env={"OPENAI_API_KEY": KEY})
    for text in (repr(endpoint), str(endpoint), repr(endpoint.api_key), f"{endpoint.api_key}"):
        assert KEY not in text
    with pytest.raises(TypeError):
        json.dumps(dataclasses.asdict(endpoint))
    with pytest.raises(TypeError):
        pickle.dumps(endpoint)
    assert copy.deepcopy(endpoint) == endpoint


def test_endpoints_compare_by_value() -> None:
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    endpoint = resolve_endpoint(policy_config.JUDGE, env={"OPENAI_API_KEY": KEY})
    assert endpoint == dataclasses.replace(endpoint)
    assert isinstance(endpoint, Endpoint)
