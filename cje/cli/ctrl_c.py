"""Ctrl-C while a script is still starting up: one line and exit status 130.

Importing the scientific stack takes a second or two; a Ctrl-C in that time
would otherwise print a traceback from deep inside some import. The ``cje``
package imports this module before anything else (it needs nothing but the
standard library). The handler is installed only when the program being run
is one of this project's - a script under the project root, or ``python -m``
of a ``cje``, ``benchmarks`` or ``tools`` module, as the command line says -
never when a test runner or another program merely imports ``cje``; it holds
until the command starts, when ``cje.cli.errors`` puts Python's own handler
back so that work in progress can save what it finished.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

INTERRUPTED_EXIT = 130
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _starting_up(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("\ninterrupted while starting up: nothing was done\n")
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


def _running_one_of_ours() -> bool:
    argv = list(getattr(sys, "orig_argv", ()))[1:]
    options = [arg for arg in argv if arg.startswith("-")]
    if "-m" in argv:  # python -m NAME: the package is imported before NAME runs
        index = argv.index("-m")
        name = argv[index + 1] if index + 1 < len(argv) else ""
        return name.split(".")[0] in ("cje", "benchmarks", "tools")
    if "-c" in options or not argv:
        return False
    script = next((arg for arg in argv if not arg.startswith("-")), None)
    if script is None:
        return False
    path = Path(script).resolve()
    return path.is_relative_to(_PROJECT_ROOT) and not path.is_relative_to(Path(sys.prefix).resolve())


def install() -> None:
    """The start-up handler, for this project's own programs (main thread only)."""
    if _running_one_of_ours():
        try:
            signal.signal(signal.SIGINT, _starting_up)
        except ValueError:  # not the main thread
            return


def release() -> None:
    """Python's own Ctrl-C handling again (``KeyboardInterrupt``), once a command runs."""
    try:
        if signal.getsignal(signal.SIGINT) is _starting_up:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        return


install()
