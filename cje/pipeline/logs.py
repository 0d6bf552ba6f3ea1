"""Reading the append-only logs, and the responses that derived values are computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cje.io.store import JsonlStore
from cje.pipeline.hashing import text_hash
from cje.pipeline.prompts import Prompt
from cje.pipeline.staleness import failed

Row = Mapping[str, object]


def read_log(path: Path) -> dict[str, Row]:
    """The latest row of every id in the log at ``path`` (empty if there is none).
    Opening trims a torn last line, as a resuming step would."""
    if not path.exists():
        return {}
    with JsonlStore(path, key="prompt_id") as store:
        return dict(store.rows)


@dataclass(frozen=True)
class CurrentResponse:
    """A successful response to the current text of ``prompt``."""

    prompt: Prompt
    response: str

    @property
    def response_hash(self) -> str:
        return text_hash(self.response)

    @property
    def content(self) -> dict[str, str]:
        """The text hashes a value derived from this response must record."""
        return {"prompt_hash": self.prompt.prompt_hash, "response_hash": self.response_hash}


def current_responses(generations: Mapping[str, Row], prompts: Sequence[Prompt]) -> list[CurrentResponse]:
    """The prompts' successful responses, in prompt order. A row generated for
    another text of the prompt does not count. The hash is recomputed from the
    text, never read from the row, so an edited response is noticed."""
    found = []
    for prompt in prompts:
        row = generations.get(prompt.prompt_id)
        if row is None or failed(row) or row.get("prompt_hash") != prompt.prompt_hash:
            continue
        response = row.get("response")
        if isinstance(response, str):
            found.append(CurrentResponse(prompt, response))
    return found
