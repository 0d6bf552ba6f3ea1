"""Status blocks and tqdm progress bars for the pipeline scripts (the library
describes its steps; this draws them)."""

from __future__ import annotations

import click
from tqdm import tqdm

from cje.pipeline.runner import ProgressBar, StepStatus

_BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]{postfix}"


def status_block(status: StepStatus) -> str:
    """The lines shown before a step starts."""
    reasons = ", ".join(f"{reason} {count}" for reason, count in status.todo.items())
    lines = [
        f"== {status.step}: {status.description}",
        f"   total records  {status.total:>7}",
        f"   already done   {status.done:>7}" + ("  (resumed)" if status.done else ""),
        f"   to do          {status.n_todo:>7}" + (f"  ({reasons})" if reasons else ""),
    ]
    lines.extend(f"   note: {note}" for note in status.notes)
    return "\n".join(lines)


class _TqdmBar:
    def __init__(self, step: str, total: int) -> None:
        self._failed = 0
        self._bar = tqdm(total=total, desc=f"   {step}", unit="req", bar_format=_BAR_FORMAT,
                         dynamic_ncols=True, smoothing=0.1)

    def advance(self, *, failed: bool) -> None:
        if failed:
            self._failed += 1
            self._bar.set_postfix_str(f"failed {self._failed}", refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


class _NoBar:
    def advance(self, *, failed: bool) -> None:
        return None

    def close(self) -> None:
        return None


class ConsoleReporter:
    """Status blocks on stdout, bars on stderr; ``quiet`` shows neither."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def status(self, status: StepStatus) -> None:
        if not self.quiet:
            click.echo(status_block(status))

    def bar(self, step: str, total: int) -> ProgressBar:
        return _NoBar() if self.quiet else _TqdmBar(step, total)
