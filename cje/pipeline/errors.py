"""Typed errors of the data-generation pipeline. Scripts turn them into one
clean message and exit status 2.
"""

from __future__ import annotations

from cje.errors import CJEError


class PipelineError(CJEError):
    """The pipeline cannot go on: bad settings, a file that breaks its format."""


class PromptSourceError(PipelineError):
    """Prompts cannot be read from the requested source (no network, gated
    data set, unreadable or empty file)."""


class StaleDataError(PipelineError):
    """Values computed from different response texts would be joined."""
