"""What every step of a run works with, in one object."""

from __future__ import annotations

from dataclasses import dataclass

from cje.pipeline.connections import Connections
from cje.pipeline.paths import DataPaths
from cje.pipeline.progress import Reporter
from cje.pipeline.settings import ApiSettings, Roles, RunSettings


@dataclass(frozen=True)
class StepContext:
    """The roles, settings, request machinery, files and reporter of a run."""

    roles: Roles
    settings: RunSettings
    api: ApiSettings
    connections: Connections
    paths: DataPaths
    reporter: Reporter
