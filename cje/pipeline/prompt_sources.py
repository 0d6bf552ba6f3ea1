"""Where prompts come from: a local JSONL file, or the Chatbot Arena data set.

Local file: one JSON object per line with a ``prompt`` string and, optionally,
a ``prompt_id`` string (otherwise ``prompt_<blake2b of the text>``).

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cje.pipeline.errors import PromptSourceError
from cje.pipeline.hashing import text_hash

logger = logging.getLogger(__name__)

DEFAULT_HF_DATASET = "lmsys/chatbot_arena_conversations"
DEFAULT_MODERATION_THRESHOLD = 0.5
HUB_PROBE_SECONDS = 4.0
SHIPPED_PROMPTS = Path(__file__).with_name("default_prompts.jsonl")
_ID_DIGITS = 16
_MAX_LISTED = 10


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


# ---- local file -------------------------------------------------------------


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
    text = text.strip()
    if not text:
        return None, None
    return SourcePrompt(given_id or prompt_id_for(text, "prompt"), text), None


# ---- Chatbot Arena ----------------------------------------------------------


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
