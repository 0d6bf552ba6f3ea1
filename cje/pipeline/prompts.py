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

Sources. A local file: one JSON object per line with a ``prompt`` string and,
optionally, a ``prompt_id`` string (otherwise ``prompt_<blake2b of the text>``).
Chatbot Arena (``lmsys/chatbot_arena_conversations`` by default, through the
``datasets`` library): the first user turn of each conversation, English only,
without conversations that OpenAI's moderation flagged or scored above the
threshold in any category, or that a toxic-chat classifier flagged. The
``prompt_id`` is ``arena_<blake2b of the text>``: it depends on the text
alone, so it is the same in every version of the data set and exact
duplicates share it.

The Hub is probed first with one short HTTP request: without network the load
fails within seconds (``datasets`` itself would retry for half a minute).
With ``HF_HUB_OFFLINE=1`` the probe is skipped and only the local cache is used
(behind a proxy that defeats the probe, download the data set once with
``hf download --repo-type dataset <id>`` and run with ``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cje.chat_template import ChatTemplateError, get_chat_template, render_chat
from cje.io.atomic import write_json_atomic, write_jsonl_atomic
from cje.pipeline.errors import PipelineError, PromptSourceError
from cje.pipeline.records import DataPaths, Prompt, stable_uniform, text_hash
from cje.pipeline.settings import ResumeMode
from cje.scoring_prompt import ScoringPromptError, scoring_messages

logger = logging.getLogger(__name__)

DEFAULT_HF_DATASET = "lmsys/chatbot_arena_conversations"
DEFAULT_MODERATION_THRESHOLD = 0.5
HUB_PROBE_SECONDS = 4.0
SHIPPED_PROMPTS = Path(__file__).with_name("default_prompts.jsonl")
_ID_DIGITS = 16
_MAX_LISTED = 10
META_FORMAT = 1


# ---- the step -----------------------------------------------------------------


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
    reused = _reusable(spec, paths, mode)
    if reused is not None:
        return reused
    prepared = _sample_source(spec)
    described = spec.describe()
    origin = str(described["source"]["kind"])  # type: ignore[index]
    write_jsonl_atomic(paths.prompts, ({"prompt_id": p.prompt_id, "prompt": p.prompt, "source": origin}
                                       for p in prepared.prompts))
    origin_path = None if spec.prompts_file is None else str(spec.prompts_file)
    write_json_atomic(paths.prompts_meta, {**described, "source_path": origin_path, "count": len(prepared.prompts),
                                           "prompts_sha": _file_hash(paths.prompts),
                                           "dropped": dict(prepared.dropped)})
    return prepared


def plan_prompts(spec: PromptSpec, paths: DataPaths, *, mode: ResumeMode) -> PreparedPrompts | None:
    """What ``prepare_prompts`` would give, writing nothing: the reused file, or the
    sample of a local prompts file; None for the Hub (not contacted in a dry run)."""
    reused = _reusable(spec, paths, mode)
    if reused is not None or spec.prompts_file is None:
        return reused
    return _sample_source(spec)


def _reusable(spec: PromptSpec, paths: DataPaths, mode: ResumeMode) -> PreparedPrompts | None:
    if mode is ResumeMode.FORCE or not _matches(paths, spec.describe()):
        return None
    prompts = read_prompts(paths)
    return PreparedPrompts(prompts, reused=True, read=len(prompts), dropped={})


def _sample_source(spec: PromptSpec) -> PreparedPrompts:
    source = _read_source(spec)
    usable, dropped = _clean(source, spec.chat_templates)
    prompts = sample_prompts(usable, n=spec.n_samples, seed=spec.seed)
    if not prompts:
        raise PromptSourceError(f"no usable prompts in the source ({dict(dropped)} dropped)")
    if len(prompts) < spec.n_samples:
        logger.warning("only %d usable prompts, fewer than --n-samples %d", len(prompts), spec.n_samples)
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


def _is_text(value: str) -> bool:
    """Whether ``value`` is valid Unicode text (JSON can smuggle in lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _prompt_row(line: str, where: str) -> Prompt:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise PipelineError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(row, dict) or not isinstance(row.get("prompt_id"), str) or not isinstance(row.get("prompt"), str):
        raise PipelineError(f"{where}: expected an object with string prompt_id and prompt")
    if not _is_text(row["prompt_id"]) or not _is_text(row["prompt"]):
        raise PipelineError(f"{where}: holds a lone surrogate escape: not valid Unicode text; re-run "
                            "prepare_prompts.py --force")
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


# ---- sources: what they share -----------------------------------------------


@dataclass(frozen=True)
class SourcePrompt:
    prompt_id: str
    prompt: str


@dataclass
class SourcePrompts:
    """Prompts read from a source, in source order, and what was dropped why."""

    prompts: list[SourcePrompt] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def prompt_id_for(text: str, prefix: str) -> str:
    """A stable id from the text itself."""
    return f"{prefix}_{text_hash(text)[:_ID_DIGITS]}"


def offline_hint() -> str:
    return (
        f"use --prompts-file FILE instead (a JSONL file with a \"prompt\" per line; "
        f"cje ships one: {_shown(SHIPPED_PROMPTS)})"
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---- source: a local file -----------------------------------------------------


def read_prompts_file(path: Path) -> SourcePrompts:
    """Prompts from a local JSONL file; bad lines are an error naming file:line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PromptSourceError(f"{path}: cannot read the prompts file ({error})") from None
    found = SourcePrompts()
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item, problem = _parse_prompt_line(line)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
        elif item is None:
            found.dropped["empty prompt"] += 1
        else:
            found.prompts.append(item)
    if problems:
        more = f"\n... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
        raise PromptSourceError("\n".join(problems[:_MAX_LISTED]) + more)
    return found


def _parse_prompt_line(line: str) -> tuple[SourcePrompt | None, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"not valid JSON ({error.msg})"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    text, given_id = value.get("prompt"), value.get("prompt_id")
    if not isinstance(text, str):
        return None, "prompt: missing or not a string"
    if given_id is not None and (not isinstance(given_id, str) or not given_id.strip()):
        return None, "prompt_id: must be a non-empty string"
    if not _is_text(text) or not _is_text(given_id or ""):
        return None, "holds a lone surrogate escape (such as \\ud800): not valid Unicode text"
    text = text.strip()
    if not text:
        return None, None
    return SourcePrompt(given_id or prompt_id_for(text, "prompt"), text), None


# ---- source: Chatbot Arena ----------------------------------------------------


def arena_prompts(rows: Iterable[Mapping[str, object]], *, moderation_threshold: float) -> SourcePrompts:
    """First user turns of English, unflagged Arena conversations."""
    found = SourcePrompts()
    for row in rows:
        reason = _arena_drop_reason(row, moderation_threshold)
        if reason is not None:
            found.dropped[reason] += 1
            continue
        text = _first_user_turn(row)
        if text is None:
            found.dropped["no user turn"] += 1
        else:
            found.prompts.append(SourcePrompt(prompt_id_for(text, "arena"), text))
    return found


def _arena_drop_reason(row: Mapping[str, object], threshold: float) -> str | None:
    if row.get("language") != "English":
        return "not English"
    moderation = row.get("openai_moderation")
    if isinstance(moderation, dict):
        scores = moderation.get("category_scores")
        numbers = [v for v in scores.values() if isinstance(v, (int, float))] if isinstance(scores, dict) else []
        if moderation.get("flagged") is True or any(v > threshold for v in numbers):
            return "moderation"
    tags = row.get("toxic_chat_tag")
    if isinstance(tags, dict) and any(isinstance(t, dict) and t.get("flagged") is True for t in tags.values()):
        return "moderation"
    return None


def _first_user_turn(row: Mapping[str, object]) -> str | None:
    conversation = row.get("conversation_a") or row.get("conversation")
    if not isinstance(conversation, list):
        return None
    for turn in conversation:
        if isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            text = content.strip() if isinstance(content, str) else ""
            return text or None
    return None


def load_arena_prompts(dataset_id: str, *, moderation_threshold: float) -> SourcePrompts:
    """Download (or read from the cache) the Arena data set and extract prompts."""
    if not _offline_mode():
        unreachable = hub_unreachable(_hub_endpoint(), timeout=HUB_PROBE_SECONDS)
        if unreachable:
            raise PromptSourceError(
                f"cannot reach the Hugging Face Hub to download {dataset_id} ({unreachable}); "
                f"{offline_hint()}"
            )
    rows = _load_hf_rows(dataset_id)
    return arena_prompts(rows, moderation_threshold=moderation_threshold)


def _load_hf_rows(dataset_id: str) -> Iterable[Mapping[str, object]]:
    import datasets  # heavy; only this path needs it
    from datasets.exceptions import DatasetsError
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    try:
        return datasets.load_dataset(dataset_id, split="train")
    except (DatasetsError, HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled, OSError) as error:
        # ConnectionError and FileNotFoundError are OSErrors.
        raise PromptSourceError(
            f"cannot load {dataset_id} from the Hugging Face Hub ({type(error).__name__}: "
            f"{str(error)[:200]}). It is a gated data set: accept its terms at "
            f"https://huggingface.co/datasets/{dataset_id}, then set HF_TOKEN or run "
            f"`huggingface-cli login`. Or {offline_hint()}"
        ) from None


def _offline_mode() -> bool:
    flags = (os.environ.get(name, "").strip().lower() for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    return any(flag in ("1", "true", "yes", "on") for flag in flags)


def _hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"


def hub_unreachable(endpoint: str, *, timeout: float) -> str | None:
    """Why ``endpoint`` gives no HTTP answer within ``timeout`` seconds, or None.

    Any HTTP status counts as an answer (a 401 still means the Hub is there);
    a failed name lookup, a refused or hanging connection or handshake does
    not. The request runs in a daemon thread because name resolution ignores
    timeouts; a thread still stuck after ``timeout`` is abandoned.
    """
    outcome: list[str | None] = []

    def probe() -> None:
        request = urllib.request.Request(endpoint.rstrip("/") + "/api/datasets", method="HEAD")
        try:
            urllib.request.urlopen(request, timeout=timeout).close()
            outcome.append(None)
        except urllib.error.HTTPError:
            outcome.append(None)
        except (urllib.error.URLError, OSError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            outcome.append(f"{urlsplit(endpoint).netloc}: {getattr(reason, 'strerror', None) or reason}")

    thread = threading.Thread(target=probe, name="cje-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if not outcome:
        return f"{urlsplit(endpoint).netloc}: no answer within {timeout:g} s"
    return outcome[0]


logger = logging.getLogger(__name__)
