"""Status blocks and progress for the pipeline scripts (the library describes its
steps; this draws them).

On a terminal, progress is a tqdm bar with rate and ETA. When stderr is not a
terminal (a log file, a pipe, CI) a bar's redraws would fill the log with
carriage-return frames, so a plain line is written instead every few seconds
and at the end: done/total, rate, ETA, failures. ``--quiet`` shows neither.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import click

from cje.pipeline.runner import ProgressBar, StepStatus

_BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]{postfix}"
LINE_EVERY_SECONDS = 5.0


def status_block(status: StepStatus) -> str:
    """The lines shown before a step starts: rows done, to do (missing) and to redo, with why."""
    todo = dict(status.todo)
    missing = todo.pop("missing", 0)
    sampled = todo.pop("sampled", 0)
    redo = ", ".join(f"{reason} {count}" for reason, count in todo.items())
    why_todo = "  (missing)" if missing else "  (to sample)" if sampled else ""
    lines = [
        f"== {status.step}: {status.description}",
        f"   total records  {status.total:>7}",
        f"   already done   {status.done:>7}" + ("  (resumed)" if status.done else ""),
        f"   to do          {missing + sampled:>7}" + why_todo,
        f"   to redo        {sum(todo.values()):>7}" + (f"  ({redo})" if redo else ""),
    ]
    lines.extend(f"   note: {note}" for note in status.notes)
    return "\n".join(lines)


class _TqdmBar:
    def __init__(self, step: str, total: int) -> None:
        from tqdm import tqdm  # only on a terminal

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


class PlainProgress:
    """Progress as a plain line every ``every`` seconds and at the end."""

    def __init__(self, step: str, total: int, *, stream: TextIO, every: float = LINE_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._step, self._total, self._stream, self._every, self._clock = step, total, stream, every, clock
        self._started = self._last = clock()
        self._done = self._failed = 0

    def advance(self, *, failed: bool) -> None:
        self._done += 1
        self._failed += int(failed)
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            self._write(now)

    def close(self) -> None:
        self._write(self._clock())

    def line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = self._total - self._done
        eta = f"ETA {_duration(left / rate)}" if rate > 0 and left else "done" if not left else "ETA ?"
        failed = f", failed {self._failed}" if self._failed else ""
        return (f"   {self._step}: {self._done}/{self._total} ({100 * self._done / max(self._total, 1):.0f}%), "
                f"{rate:.1f}/s, {eta}, {_duration(elapsed)} elapsed{failed}")

    def _write(self, now: float) -> None:
        self._stream.write(self.line(now) + "\n")
        self._stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class _NoBar:
    def advance(self, *, failed: bool) -> None:
        return None

    def close(self) -> None:
        return None


class ConsoleReporter:
    """Status blocks on stdout; progress on stderr (a bar on a terminal, plain lines
    otherwise); ``quiet`` shows neither."""

    def __init__(self, *, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self._stream = stream

    def status(self, status: StepStatus) -> None:
        if not self.quiet:
            click.echo(status_block(status))

    def bar(self, step: str, total: int) -> ProgressBar:
        if self.quiet:
            return _NoBar()
        stream = self._stream or sys.stderr
        if stream.isatty():
            return _TqdmBar(step, total)
        return PlainProgress(step, total, stream=stream)
