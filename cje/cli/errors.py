"""The error boundary every entry point ends in: one paragraph, never a traceback.

``command`` is ``click.command`` with this boundary around everything a run
does - parsing options, their callbacks, the command itself. What reaches it
becomes one message on stderr and an exit status:

===  ==================================================================
0    success
1    ``--fail-on`` met (the analysis ran; an estimate was refused or warned)
2    bad input: an option, a file or the configuration is wrong (fix it)
3    the environment failed: disk full, permission denied, read-only file
     system, an endpoint that refuses every request (fix it, re-run)
70   an internal error (a bug): please report it with CJE_DEBUG=1's traceback
130  interrupted (Ctrl-C or SIGTERM); finished work is kept
===  ==================================================================

Set ``CJE_DEBUG=1`` to get the traceback instead of the message.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from cje.cli import ctrl_c
from cje.errors import CJEError, EnvironmentFailure

F = TypeVar("F", bound=Callable[..., object])

OK_EXIT = 0
GATE_EXIT = 1
USER_ERROR_EXIT = 2
ENVIRONMENT_EXIT = 3
INTERNAL_ERROR_EXIT = 70
INTERRUPTED_EXIT = ctrl_c.INTERRUPTED_EXIT

# What to do about an OS error, by errno: (exit status, advice).
_OS_ADVICE: dict[int, tuple[int, str]] = {
    errno.ENOSPC: (ENVIRONMENT_EXIT, "the disk is full: free some space or write somewhere else, then re-run"),
    errno.EDQUOT: (ENVIRONMENT_EXIT, "the disk quota is used up: free some space or write somewhere else"),
    errno.EFBIG: (ENVIRONMENT_EXIT, "the file grew past what this file system or `ulimit -f` allows: "
                                    "raise the limit or write to another file system"),
    errno.EACCES: (ENVIRONMENT_EXIT, "permission denied: fix the permissions or choose a path you may write"),
    errno.EPERM: (ENVIRONMENT_EXIT, "operation not permitted: fix the permissions or choose another path"),
    errno.EROFS: (ENVIRONMENT_EXIT, "the file system is read-only: choose a writable directory"),
    errno.EIO: (ENVIRONMENT_EXIT, "the device reported an I/O error: check the disk"),
    errno.EMFILE: (ENVIRONMENT_EXIT, "too many open files: raise `ulimit -n` or lower --concurrency"),
    errno.ENAMETOOLONG: (USER_ERROR_EXIT, "a file name is too long: use a shorter name or path"),
    errno.ENOENT: (USER_ERROR_EXIT, "no such file or directory: check the path"),
    errno.ENOTDIR: (USER_ERROR_EXIT, "a part of the path is not a directory: check the path"),
    errno.EISDIR: (USER_ERROR_EXIT, "that is a directory: give a file name"),
    errno.ELOOP: (USER_ERROR_EXIT, "too many symbolic links: check the path"),
}


class BoundaryCommand(click.Command):
    """A click command whose every failure ends in :func:`run_guarded`."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:  # click's own signature; extra goes to the context
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        status = run_guarded(lambda: click.Command.main(self, args, prog_name, complete_var,
                                                        standalone_mode=False, **extra))
        if _abandoned_requests():
            _exit_now(status)
        sys.exit(status)

    def invoke(self, ctx: click.Context) -> Any:
        ctrl_c.release()
        return super().invoke(ctx)


def command(**attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """``click.command`` with the error boundary (``attrs`` as for ``click.command``)."""
    return click.command(cls=BoundaryCommand, **attrs)


def run_guarded(call: Callable[[], object]) -> int:
    """Run ``call`` (a command's non-standalone ``main``) and return its exit status,
    every failure turned into a message on stderr."""
    debug = bool(os.environ.get("CJE_DEBUG"))
    try:
        result = call()
        return result if isinstance(result, int) else OK_EXIT
    except click.ClickException as error:
        error.show()
        return USER_ERROR_EXIT if error.exit_code == 1 else error.exit_code
    except (KeyboardInterrupt, click.Abort):
        _interrupted()
    except BrokenPipeError:
        _silence_broken_pipe()
        return OK_EXIT
    except CJEError as error:
        if debug:
            raise
        _say(str(error))
        return ENVIRONMENT_EXIT if isinstance(error, EnvironmentFailure) else USER_ERROR_EXIT
    except OSError as error:
        if debug:
            raise
        status, text = describe_os_error(error)
        _say(text)
        return status
    except MemoryError:
        if debug:
            raise
        _say("out of memory: close other programs or analyse a smaller file")
        return ENVIRONMENT_EXIT
    except Exception as error:  # the boundary of last resort: a bug, told plainly
        if debug:
            raise
        _say(f"internal error ({type(error).__name__}: {str(error)[:300]}). This is a bug in arena-cje; "
             "re-run with CJE_DEBUG=1 for the traceback and please report it.")
        return INTERNAL_ERROR_EXIT
    return INTERRUPTED_EXIT  # not reached: _interrupted exits


def describe_os_error(error: OSError) -> tuple[int, str]:
    """The exit status and one-paragraph message for an OS error."""
    status, advice = _OS_ADVICE.get(error.errno or -1, (ENVIRONMENT_EXIT, "check the path and the disk"))
    code = errno.errorcode.get(error.errno or -1, "")
    where = " ".join(str(name) for name in (error.filename, error.filename2) if name is not None)
    reason = f"{error.strerror or error}" + (f" ({code})" if code else "")
    return status, f"{where + ': ' if where else ''}{reason}. What to do: {advice}."


def _say(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _abandoned_requests() -> int:
    # Only a command that sent requests has loaded the runner; --help stays light.
    concurrency = sys.modules.get("cje.api.concurrency")
    return concurrency.abandoned_tasks() if concurrency is not None else 0


def _exit_now(status: int) -> None:
    """Exit without waiting for abandoned request threads (a stopped run's
    requests, whose results nobody will read): every log is closed and
    fsync'd by now, so only the standard streams and log handlers need flushing."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # the reader is gone (a closed pipe): nothing left to tell it
            continue
    os._exit(status)


def _interrupted() -> None:
    """One line, then exit 130 at once: threads still waiting on requests are abandoned
    (every finished row is already on disk)."""
    click.echo("\ninterrupted: stopped at your request; finished work is kept. "
               "Re-run the same command to continue.", err=True)
    _exit_now(INTERRUPTED_EXIT)


def _silence_broken_pipe() -> None:
    # The reader went away (`| head`): nothing left to say; keep the interpreter's
    # final flush from raising again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def user_errors_exit_2(func: F) -> F:
    """For commands not yet built with :func:`command`: the same boundary around
    the command's body (option parsing stays click's)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # click passes options by keyword; not a pass-through API
        status = run_guarded(lambda: func(*args, **kwargs))
        if status:
            sys.exit(status)

    return wrapper  # type: ignore[return-value]
