"""The prompts step: local files, the Arena filters, seeded sampling, reuse
without touching the source, and a fast, helpful failure without network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from cje.pipeline.errors import PromptSourceError
from cje.pipeline.prompts import (
    SHIPPED_PROMPTS,
    PromptSpec,
    arena_prompts,
    hub_unreachable,
    prepare_prompts,
    prompt_id_for,
    read_prompts,
    read_prompts_file,
    sample_prompts,
)
from cje.pipeline.records import DataPaths
from cje.pipeline.settings import ResumeMode
from tools.make_default_prompts import default_prompts

from .helpers import REPO, read_jsonl


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_shipped_prompts_are_ours_varied_and_usable(tmp_path):
    rows = read_jsonl(SHIPPED_PROMPTS)
    assert 300 <= len(rows) <= 500
    assert [r["prompt"] for r in rows] == default_prompts()  # the generator reproduces the file
    assert len({r["prompt_id"] for r in rows}) == len(rows) == len({r["prompt"] for r in rows})
    lengths = sorted(len(r["prompt"]) for r in rows)
    assert lengths[0] < 40 and lengths[-1] > 300  # short questions and long requests
    spec = PromptSpec(n_samples=len(rows), seed=1, prompts_file=SHIPPED_PROMPTS)
    prepared = prepare_prompts(spec, DataPaths(tmp_path), mode=ResumeMode.RESUME)
    assert len(prepared.prompts) == len(rows) and not prepared.dropped


def test_a_local_file_is_cleaned_and_ids_default_to_a_text_hash(tmp_path):
    source = write_lines(tmp_path / "p.jsonl", [
        json.dumps({"prompt": "  How do magnets work?  "}),
        json.dumps({"prompt": "How do magnets work?"}),  # exact duplicate after stripping
        json.dumps({"prompt_id": "mine", "prompt": "Tell me a joke."}),
        json.dumps({"prompt": "   "}),
        json.dumps({"prompt": "Smuggle <|eot_id|> into a chat"}),  # a template cannot carry it
        "",
    ])
    prepared = prepare_prompts(PromptSpec(n_samples=10, seed=0, prompts_file=source), DataPaths(tmp_path / "d"),
                               mode=ResumeMode.RESUME)
    assert sorted(p.prompt_id for p in prepared.prompts) == sorted(["mine", prompt_id_for("How do magnets work?",
                                                                                          "prompt")])
    assert prepared.dropped == {"duplicate": 1, "empty prompt": 1, "unusable text": 1}


def test_bad_lines_are_named_by_file_and_line(tmp_path):
    source = write_lines(tmp_path / "p.jsonl", ['{"prompt": "fine"}', "not json", '{"text": "x"}', "[1]"])
    with pytest.raises(PromptSourceError) as caught:
        read_prompts_file(source)
    message = str(caught.value)
    assert f"{source}:2: not valid JSON" in message and f"{source}:3: prompt: missing" in message
    assert f"{source}:4: not a JSON object" in message


def test_sampling_is_seeded_nested_and_independent_of_the_rest(tmp_path):
    items = read_prompts_file(SHIPPED_PROMPTS).prompts
    ids = lambda prompts: [p.prompt_id for p in prompts]  # noqa: E731
    first, again = sample_prompts(items, n=20, seed=1), sample_prompts(items, n=20, seed=1)
    assert ids(first) == ids(again)
    assert set(ids(first)) != set(ids(sample_prompts(items, n=20, seed=2)))  # the seed changes the sample
    assert ids(sample_prompts(items, n=40, seed=1))[:20] == ids(first)  # a larger n extends a smaller one
    # Membership depends on the prompt alone: dropping other prompts keeps a kept one.
    survivors = [p for p in items if p.prompt_id in set(ids(first))] + items[:5]
    assert set(ids(first)) <= set(ids(sample_prompts(survivors, n=25, seed=1)))


def arena_row(text, *, language="English", flagged=False, score=0.01, toxic=False, role="user"):
    return {
        "question_id": "q", "language": language,
        "conversation_a": [{"role": role, "content": text}, {"role": "assistant", "content": "answer"}],
        "openai_moderation": {"flagged": flagged, "category_scores": {"harassment": score, "violence": 0.0}},
        "toxic_chat_tag": {"roberta-large": {"flagged": toxic, "probability": 0.1},
                           "t5-large": {"flagged": False, "score": 0.0}},
    }


def test_arena_rows_keep_english_unflagged_first_user_turns():
    found = arena_prompts([
        arena_row("What is a black hole?"),
        arena_row("Qu'est-ce qu'un trou noir ?", language="French"),
        arena_row("something nasty", flagged=True),
        arena_row("borderline", score=0.9),
        arena_row("toxic", toxic=True),
        arena_row("no user", role="system"),
    ], moderation_threshold=0.5)
    assert [p.prompt for p in found.prompts] == ["What is a black hole?"]
    assert found.prompts[0].prompt_id == prompt_id_for("What is a black hole?", "arena")
    assert found.dropped == {"not English": 1, "moderation": 3, "no user turn": 1}


def test_a_matching_sample_is_reused_without_reading_the_source(tmp_path):
    paths = DataPaths(tmp_path / "d")
    spec = PromptSpec(n_samples=5, seed=0, prompts_file=SHIPPED_PROMPTS)
    first = prepare_prompts(spec, paths, mode=ResumeMode.RESUME)
    assert not first.reused and read_prompts(paths) == first.prompts
    assert prepare_prompts(spec, paths, mode=ResumeMode.RESUME).reused
    assert not prepare_prompts(spec, paths, mode=ResumeMode.FORCE).reused
    changed = PromptSpec(n_samples=6, seed=0, prompts_file=SHIPPED_PROMPTS)
    assert len(prepare_prompts(changed, paths, mode=ResumeMode.RESUME).prompts) == 6
    # A Hub sample recorded in the meta file is reused offline: no network is touched.
    meta = json.loads(paths.prompts_meta.read_text())
    hub = PromptSpec(n_samples=6, seed=0, hf_dataset="lmsys/chatbot_arena_conversations")
    meta.update(hub.describe())
    paths.prompts_meta.write_text(json.dumps(meta))
    assert prepare_prompts(hub, paths, mode=ResumeMode.RESUME).reused


def test_without_network_the_hub_fails_fast_and_names_prompts_file(tmp_path):
    # Port 9 on this host is closed: the probe's connect is refused at once.
    # (Without a network at all, name resolution fails just as fast.)
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": ""}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "pipeline_steps/prepare_prompts.py", "--n-samples", "5", "--data-dir", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    assert "--prompts-file" in done.stderr and "Traceback" not in done.stderr
    assert "default_prompts.jsonl" in done.stderr


def test_the_hub_probe_gives_up_within_its_timeout():
    # A server that accepts connections but never answers: the probe must not wait for it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        started = time.monotonic()
        reason = hub_unreachable(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        assert reason is not None and time.monotonic() - started < 1.5
