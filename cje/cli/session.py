"""A pipeline script's run: the data-directory lock, logging, and a clean Ctrl-C.

On Ctrl-C (or SIGTERM) the library stops starting requests and saves every
finished row; this then releases the lock, says in one line how to resume and
exits with status 130. It exits with ``os._exit`` because requests still in flight were
abandoned and the interpreter would otherwise wait for their threads (up to
the request timeout) before exiting; everything worth keeping is on disk.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cje.io.lock import DirectoryLock

INTERRUPTED_EXIT = 130


def configure_logging(*, verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def command_line() -> str:
    """The command as the user typed it (near enough to copy and paste)."""
    return "python " + shlex.join(sys.argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def locked_run(data_dir: Path) -> Iterator[None]:
    """Hold ``data_dir``'s lock for the block; turn Ctrl-C into a resume hint and exit 130."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with DirectoryLock(data_dir):
            yield
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: every finished row is saved under {data_dir}/; "
                   f"re-run the same command to resume: {command_line()}", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED_EXIT)
    finally:
        signal.signal(signal.SIGTERM, previous)
