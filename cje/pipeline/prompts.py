"""The prompts step: sample prompts from a source into ``prompts.jsonl``.

Prompts are cleaned (stripped, exact duplicates removed, texts that a chat
template or the scoring prompt cannot carry dropped), then sampled: each
prompt gets a rank ``blake2b(seed, prompt_id)`` and the ``n`` lowest ranks are
kept, in rank order. So the seed changes the sample, the same seed gives the
same sample, a larger ``n`` extends a smaller one, and a prompt's membership
does not depend on the rest of the data set.

``prompts.meta.json`` records what the file was sampled from and its hash; a
re-run with the same source, seed and ``n`` reuses the file without touching
the source (no network needed to resume).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cje.chat_template import ChatTemplateError, get_chat_template, render_chat
from cje.io.atomic import write_json_atomic, write_jsonl_atomic
from cje.pipeline.errors import PipelineError, PromptSourceError
from cje.pipeline.hashing import stable_uniform, text_hash
from cje.pipeline.paths import DataPaths
from cje.pipeline.prompt_sources import (
    DEFAULT_MODERATION_THRESHOLD,
    SourcePrompt,
    SourcePrompts,
    load_arena_prompts,
    read_prompts_file,
)
from cje.pipeline.settings import ResumeMode
from cje.scoring_prompt import ScoringPromptError, scoring_messages

logger = logging.getLogger(__name__)

META_FORMAT = 1


@dataclass(frozen=True)
class Prompt:
    """One sampled prompt."""

    prompt_id: str
    prompt: str

    @property
    def prompt_hash(self) -> str:
        return text_hash(self.prompt)


@dataclass(frozen=True)
class PromptSpec:
    """Where prompts come from and how many: either ``prompts_file`` or ``hf_dataset``."""

    n_samples: int
    seed: int
    prompts_file: Path | None = None
    hf_dataset: str | None = None
    moderation_threshold: float = DEFAULT_MODERATION_THRESHOLD
    chat_templates: tuple[str, ...] = ("llama3",)

    def __post_init__(self) -> None:
        if self.n_samples < 1:
            raise PipelineError(f"--n-samples must be at least 1, got {self.n_samples}")
        if (self.prompts_file is None) == (self.hf_dataset is None):
            raise PipelineError("give either a prompts file or a Hugging Face data set, not both")
        for name in self.chat_templates:
            get_chat_template(name)  # an unknown name is an error, not a reason to drop prompts

    def describe(self) -> dict[str, object]:
        """The spec as recorded in prompts.meta.json; a file is identified by the
        hash of its content, not by its path."""
        if self.prompts_file is not None:
            source: dict[str, object] = {"kind": "file", "sha": _file_hash(self.prompts_file)}
        else:
            source = {"kind": "hf", "dataset": self.hf_dataset, "moderation_threshold": self.moderation_threshold}
        return {"format": META_FORMAT, "source": source, "seed": self.seed, "n_samples": self.n_samples,
                "chat_templates": list(self.chat_templates)}


@dataclass(frozen=True)
class PreparedPrompts:
    """The outcome of the prompts step."""

    prompts: list[Prompt]
    reused: bool
    read: int
    dropped: Mapping[str, int]


def prepare_prompts(spec: PromptSpec, paths: DataPaths, *, mode: ResumeMode) -> PreparedPrompts:
    """Write ``prompts.jsonl`` for ``spec``, or reuse it if it already holds this sample."""
    described = spec.describe()
    if mode is not ResumeMode.FORCE and _matches(paths, described):
        prompts = read_prompts(paths)
        return PreparedPrompts(prompts, reused=True, read=len(prompts), dropped={})
    source = _read_source(spec)
    usable, dropped = _clean(source, spec.chat_templates)
    prompts = sample_prompts(usable, n=spec.n_samples, seed=spec.seed)
    if not prompts:
        raise PromptSourceError(f"no usable prompts in the source ({dict(dropped)} dropped)")
    if len(prompts) < spec.n_samples:
        logger.warning("only %d usable prompts, fewer than --n-samples %d", len(prompts), spec.n_samples)
    origin = str(described["source"]["kind"])  # type: ignore[index]
    write_jsonl_atomic(paths.prompts, ({"prompt_id": p.prompt_id, "prompt": p.prompt, "source": origin}
                                       for p in prompts))
    origin_path = None if spec.prompts_file is None else str(spec.prompts_file)
    write_json_atomic(paths.prompts_meta, {**described, "source_path": origin_path, "count": len(prompts),
                                           "prompts_sha": _file_hash(paths.prompts), "dropped": dict(dropped)})
    return PreparedPrompts(prompts, reused=False, read=len(source.prompts), dropped=dict(dropped))


def sample_prompts(prompts: list[SourcePrompt], *, n: int, seed: int) -> list[Prompt]:
    """The ``n`` prompts of lowest seeded rank, in rank order."""
    ranked = sorted(prompts, key=lambda p: (stable_uniform("prompt-sample", seed, p.prompt_id), p.prompt_id))
    return [Prompt(p.prompt_id, p.prompt) for p in ranked[:n]]


def read_prompts(paths: DataPaths) -> list[Prompt]:
    """The prompts of the data directory; a clear error if the step has not run."""
    if not paths.prompts.exists():
        raise PipelineError(
            f"{paths.prompts} does not exist: run pipeline_steps/prepare_prompts.py "
            "(or generate_arena_data.py) first"
        )
    prompts: list[Prompt] = []
    for number, line in enumerate(paths.prompts.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            prompts.append(_prompt_row(line, f"{paths.prompts}:{number}"))
    if len({p.prompt_id for p in prompts}) != len(prompts):
        raise PipelineError(f"{paths.prompts}: duplicate prompt_id; re-run prepare_prompts.py --force")
    return prompts


def _prompt_row(line: str, where: str) -> Prompt:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise PipelineError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(row, dict) or not isinstance(row.get("prompt_id"), str) or not isinstance(row.get("prompt"), str):
        raise PipelineError(f"{where}: expected an object with string prompt_id and prompt")
    return Prompt(row["prompt_id"], row["prompt"])


def _read_source(spec: PromptSpec) -> SourcePrompts:
    if spec.prompts_file is not None:
        return read_prompts_file(spec.prompts_file)
    assert spec.hf_dataset is not None  # checked in PromptSpec
    return load_arena_prompts(spec.hf_dataset, moderation_threshold=spec.moderation_threshold)


def _clean(source: SourcePrompts, templates: tuple[str, ...]) -> tuple[list[SourcePrompt], Counter[str]]:
    """Drop exact duplicates and texts the pipeline cannot carry; one prompt per id."""
    dropped = Counter(source.dropped)
    kept: dict[str, SourcePrompt] = {}
    seen_texts: set[str] = set()
    checks: tuple[tuple[str, Callable[[str], bool]], ...] = (
        ("duplicate", lambda text: text in seen_texts),
        ("unusable text", lambda text: not _carriable(text, templates)),
    )
    for item in source.prompts:
        reason = next((name for name, check in checks if check(item.prompt)), None)
        if reason is None and item.prompt_id in kept:
            raise PromptSourceError(f"prompt_id {item.prompt_id!r} is given to two different prompts")
        if reason is not None:
            dropped[reason] += 1
            continue
        seen_texts.add(item.prompt)
        kept[item.prompt_id] = item
    return list(kept.values()), dropped


def _carriable(text: str, templates: tuple[str, ...]) -> bool:
    """Whether the chat templates and the scoring prompt can frame ``text``
    (texts holding their special tokens or delimiters cannot)."""
    try:
        for template in templates:
            render_chat(None, text, "", template=template)
        scoring_messages(text, "")
    except (ChatTemplateError, ScoringPromptError):
        return False
    return True


def _matches(paths: DataPaths, described: dict[str, object]) -> bool:
    try:
        meta = json.loads(paths.prompts_meta.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    if not isinstance(meta, dict) or not paths.prompts.exists():
        return False
    recorded = {key: meta.get(key) for key in described}
    return recorded == described and meta.get("prompts_sha") == _file_hash(paths.prompts)


def _file_hash(path: Path) -> str:
    try:
        return text_hash(path.read_bytes().decode("utf-8", errors="replace"))
    except OSError as error:
        raise PromptSourceError(f"{path}: cannot read ({error.strerror})") from None
