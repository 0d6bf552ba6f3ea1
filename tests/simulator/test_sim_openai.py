"""The official openai client against the simulator: generation, scoring and
teacher-forced log-probabilities equal to the world's exact values."""

from __future__ import annotations

import math

import numpy as np
import openai
import pytest

import policy_config as pc
from cje.chat_template import render_chat
from cje.scoring_prompt import parse_score, scoring_messages
from cje.simulator.endpoints import OFF_CANDIDATE_LOGPROB
from cje.simulator.world_view import stable_seed
from cje.world.draw import draw_oracle_labels

from .helpers import BASE, JUDGE, ORACLE, PROMPTS, chat_body, policy_messages, raw_request

POLICY_NAMES = tuple(pc.POLICIES)


def assistant_logprob(client, role: pc.Role, prompt: str, response: str, temperature: float | None):
    """The pipeline's method: render, echo, sum from the assistant's first
    token (located by text_offset) through the end-of-turn token."""
    rendered = render_chat(role.system_prompt, prompt, response)
    extra = {} if temperature is None else {"temperature": temperature}
    completion = client.completions.create(
        model=role.model, prompt=rendered.text, echo=True, logprobs=1, max_tokens=0, **extra
    )
    choice = completion.choices[0]
    assert choice.text == rendered.text
    lp = choice.logprobs
    assert lp.text_offset[0] == 0 and lp.token_logprobs[0] is None
    assert all(v <= 0.0 for v in lp.token_logprobs[1:])
    assert rendered.assistant_start in lp.text_offset
    assert lp.text_offset[-1] + len(lp.tokens[-1]) == rendered.assistant_end
    return math.fsum(v for v, o in zip(lp.token_logprobs, lp.text_offset) if o >= rendered.assistant_start)


def test_models_lists_policy_and_scorer_models(client):
    ids = {m.id for m in client.models.list()}
    assert ids == {role.model for role in pc.POLICIES.values()} | {JUDGE, ORACLE}


def test_chat_completion_is_a_candidate_with_openai_shape(client, sim):
    response = client.chat.completions.create(
        model=BASE.model, messages=policy_messages(BASE, PROMPTS[0]), temperature=0.7, seed=3
    )
    choice = response.choices[0]
    assert response.object == "chat.completion" and response.model == BASE.model
    assert response.id.startswith("chatcmpl-") and response.created > 0
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content in sim.app.view.prompt(PROMPTS[0]).texts
    usage = response.usage
    assert usage.completion_tokens > 10 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_echo_logprobs_equal_world_log_policy_for_every_candidate(client, sim, policy):
    role = pc.POLICIES[policy]
    for prompt in PROMPTS[:3]:
        world = sim.app.view.prompt(prompt)
        exact = world.log_policy(policy, role.temperature)
        for k, text in enumerate(world.texts):
            got = assistant_logprob(client, role, prompt, text, role.temperature)
            assert abs(got - exact[k]) < 1e-9, (policy, prompt, k)


def test_echo_logprobs_follow_the_request_temperature(client, sim):
    world = sim.app.view.prompt(PROMPTS[1])
    for temperature in (0.3, 1.0, 1.7):
        exact = world.log_policy("premium", temperature)
        got = assistant_logprob(client, pc.POLICIES["premium"], PROMPTS[1], world.texts[4], temperature)
        assert abs(got - exact[4]) < 1e-9
    # Omitted or zero: the policy's own temperature (the world's 0.7).
    own = world.log_policy("premium")[4]
    for temperature in (None, 0.0):
        got = assistant_logprob(client, pc.POLICIES["premium"], PROMPTS[1], world.texts[4], temperature)
        assert abs(got - own) < 1e-9


def test_clone_and_base_share_a_route_and_exact_logprobs(client, sim):
    world = sim.app.view.prompt(PROMPTS[2])
    assert np.array_equal(world.log_policy("base"), world.log_policy("clone"))
    assert assistant_logprob(client, BASE, PROMPTS[2], world.texts[0], 0.7) == pytest.approx(
        world.log_policy("clone", 0.7)[0], abs=1e-9
    )


def test_every_span_token_carries_part_of_the_logprob(client, sim):
    world = sim.app.view.prompt(PROMPTS[0])
    rendered = render_chat(BASE.system_prompt, PROMPTS[0], world.texts[5])
    lp = client.completions.create(model=BASE.model, prompt=rendered.text, echo=True, logprobs=1,
                                   max_tokens=0, temperature=0.7).choices[0].logprobs
    span = [v for v, o in zip(lp.token_logprobs, lp.text_offset) if o >= rendered.assistant_start]
    assert lp.tokens[-1] == "<|eot_id|>"
    assert all(v < 0 for v in span), "a span that drops its end-of-turn token must give a wrong sum"


def test_prefix_call_agrees_with_the_full_call(client, sim):
    """The two-call fallback (full minus prefix) gives the one-call value."""
    world = sim.app.view.prompt(PROMPTS[3])
    rendered = render_chat(BASE.system_prompt, PROMPTS[3], world.texts[2])

    def total(text: str) -> float:
        lp = client.completions.create(model=BASE.model, prompt=text, echo=True, logprobs=1,
                                       max_tokens=0, temperature=0.7).choices[0].logprobs
        return math.fsum(v for v in lp.token_logprobs if v is not None)

    difference = total(rendered.text) - total(rendered.prefix)
    assert difference == pytest.approx(world.log_policy("base", 0.7)[2], abs=1e-9)


def test_text_that_is_no_candidate_gets_the_floor(client, sim):
    rendered = render_chat(BASE.system_prompt, PROMPTS[0], "Something no candidate says.")
    lp = client.completions.create(model=BASE.model, prompt=rendered.text, echo=True, logprobs=1,
                                   max_tokens=0).choices[0].logprobs
    span = [v for v, o in zip(lp.token_logprobs, lp.text_offset) if o >= rendered.assistant_start]
    # Four words, a full stop and the end-of-turn token.
    assert span == [OFF_CANDIDATE_LOGPROB] * 6


def test_max_tokens_one_and_prompt_lists(client, sim):
    world = sim.app.view.prompt(PROMPTS[0])
    texts = [render_chat(BASE.system_prompt, PROMPTS[0], t).text for t in world.texts[:2]]
    completion = client.completions.create(model=BASE.model, prompt=texts, echo=True, logprobs=1,
                                           max_tokens=1, temperature=0.7)
    assert [c.index for c in completion.choices] == [0, 1]
    for text, choice in zip(texts, completion.choices):
        assert choice.text.startswith(text) and len(choice.text) > len(text)
        assert choice.finish_reason == "length"
        assert choice.logprobs.text_offset[-1] == len(text)
    assert completion.usage.completion_tokens == 2


def test_seeded_requests_are_identical_and_unseeded_ones_vary(client):
    def ask(**extra):
        return client.chat.completions.create(
            model=BASE.model, messages=policy_messages(BASE, PROMPTS[1]), temperature=1.0, **extra
        ).choices[0].message.content

    assert len({ask(seed=11) for _ in range(5)}) == 1
    assert len({ask(seed=s) for s in range(40)}) > 3
    assert len({ask() for _ in range(40)}) > 3


def test_unseeded_draws_repeat_on_a_fresh_server(fresh_sim):
    first = [raw_request(fresh_sim, "POST", "/v1/chat/completions", chat_body(PROMPTS[4], n=3))[2]
             for _ in range(2)]
    contents = [[c["message"]["content"] for c in r["choices"]] for r in first]
    expected = [[fresh_sim.app.view.prompt(PROMPTS[4]).texts[k] for k in ks] for ks in
                _expected_draws(fresh_sim, PROMPTS[4], [[0, 1, 2], [3, 4, 5]])]
    assert contents == expected


def _expected_draws(sim, prompt, groups):
    world = sim.app.view.prompt(prompt)
    log_prob = world.log_policy("base")[None, :]
    from cje.world.draw import sample_candidates

    out = []
    for group in groups:
        seeds = [stable_seed("draw", sim.app.config.seed, BASE.model, BASE.system_prompt, prompt, None, d)
                 for d in group]
        out.append([int(sample_candidates(log_prob, np.random.default_rng(s))[0, 0]) for s in seeds])
    return out


def test_sampling_frequencies_follow_the_policy(client, sim):
    role = pc.POLICIES["unhelpful"]
    world = sim.app.view.prompt(PROMPTS[2])
    texts = {t: k for k, t in enumerate(world.texts)}
    counts = np.zeros(len(texts))
    for draw in range(100):
        response = client.chat.completions.create(
            model=role.model, messages=policy_messages(role, PROMPTS[2]), temperature=1.0, n=16, seed=draw
        )
        for choice in response.choices:
            counts[texts[choice.message.content]] += 1
    p = np.exp(world.log_policy("unhelpful", 1.0))
    # 1,600 draws: each share within 4.5 binomial standard errors.
    assert np.all(np.abs(counts / 1600 - p) <= 4.5 * np.sqrt(p * (1 - p) / 1600) + 1e-3)


def test_temperature_zero_returns_the_most_likely_candidate(client, sim):
    world = sim.app.view.prompt(PROMPTS[3])
    best = world.texts[int(np.argmax(world.log_policy("base")))]
    for _ in range(3):
        response = client.chat.completions.create(
            model=BASE.model, messages=policy_messages(BASE, PROMPTS[3]), temperature=0
        )
        assert response.choices[0].message.content == best


def test_max_tokens_truncates_and_keeps_the_candidate_logprob(client, sim):
    response = client.chat.completions.create(
        model=BASE.model, messages=policy_messages(BASE, PROMPTS[0]), temperature=0.7, seed=5, max_tokens=6
    )
    choice = response.choices[0]
    assert choice.finish_reason == "length" and response.usage.completion_tokens == 6
    world = sim.app.view.prompt(PROMPTS[0])
    match = world.match(choice.message.content)
    assert match is not None and not match.complete
    assert world.texts[match.index].startswith(choice.message.content)
    got = assistant_logprob(client, BASE, PROMPTS[0], choice.message.content, 0.7)
    assert abs(got - world.log_policy("base", 0.7)[match.index]) < 1e-9


def test_judge_scores_equal_the_world_judge_scores(client, sim):
    for prompt in PROMPTS[:2]:
        world = sim.app.view.prompt(prompt)
        for k, text in enumerate(world.texts):
            reply = client.chat.completions.create(
                model=JUDGE, messages=scoring_messages(prompt, text), temperature=0,
                response_format={"type": "json_object"},
            ).choices[0].message.content
            assert reply.startswith('{"score": ')
            assert parse_score(reply) == pytest.approx(world.candidates.judge_score[0, k], abs=1e-9)


def test_oracle_labels_are_the_worlds_draw_and_repeat(client, sim):
    world = sim.app.view.prompt(PROMPTS[1])
    labels = []
    for k in (0, 5, 11):
        text = world.texts[k]
        rng = np.random.default_rng(stable_seed("oracle", sim.app.config.seed, PROMPTS[1], text))
        expected = draw_oracle_labels(world.candidates.oracle_center[0, [k]], sim.app.config.world, rng)[0]
        for _ in range(2):
            reply = client.chat.completions.create(
                model=ORACLE, messages=scoring_messages(PROMPTS[1], text),
                response_format={"type": "json_object"},
            ).choices[0].message.content
            labels.append(parse_score(reply))
            assert parse_score(reply) == pytest.approx(expected, abs=1e-9)
    assert len(set(labels)) == 3


def test_scorers_outside_json_mode_fence_their_json(client, sim):
    text = sim.app.view.prompt(PROMPTS[0]).texts[0]
    reply = client.chat.completions.create(
        model=JUDGE, messages=scoring_messages(PROMPTS[0], text), temperature=0
    ).choices[0].message.content
    assert reply.startswith("```json\n") and 0.1 <= parse_score(reply) <= 1.0


def test_unknown_response_gets_the_fallback_scores(client):
    messages = scoring_messages(PROMPTS[0], "Nothing a candidate would say.")
    judge = client.chat.completions.create(model=JUDGE, messages=messages, temperature=0,
                                           response_format={"type": "json_object"})
    assert parse_score(judge.choices[0].message.content) == pytest.approx(0.10)
    oracle = client.chat.completions.create(model=ORACLE, messages=messages,
                                            response_format={"type": "json_object"})
    assert parse_score(oracle.choices[0].message.content) < 0.4


def test_deceptive_candidates_fool_the_judge_not_the_oracle(sim):
    world = sim.app.view.prompt(PROMPTS[0])
    c = world.candidates
    deceptive = np.flatnonzero(c.deceptive[0])
    assert all("definitive" in world.texts[k] for k in deceptive)
    assert np.all(c.judge_score[0, deceptive] > c.honest_judge_score[0, deceptive])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}, 404, "model_not_found"),
        ({"model": BASE.model, "messages": [{"role": "system", "content": "other"},
                                             {"role": "user", "content": "hi"}]}, 400, None),
        ({"model": BASE.model, "messages": [{"role": "user", "content": "hi"}], "stream": True}, 400, None),
        ({"model": BASE.model, "messages": []}, 400, None),
        ({"model": JUDGE, "messages": [{"role": "user", "content": "rate this"}]}, 400, None),
    ],
)
def test_bad_chat_requests_get_openai_errors(sim, body, status, code):
    got, _, reply = raw_request(sim, "POST", "/v1/chat/completions", body)
    assert got == status and reply["error"]["code"] == code and reply["error"]["message"]


def test_bad_completion_requests_get_openai_errors(client):
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=BASE.model, prompt="plain text, not a chat", echo=True,
                                  logprobs=1, max_tokens=0)
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=BASE.model, prompt="x", max_tokens=5)
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="nope", prompt="x", max_tokens=0)
