"""The boundary between the library's typed errors and a user's terminal.

A script wrapped with :func:`user_errors_exit_2` turns a :class:`CJEError` into
its message on stderr and exit status 2, with no traceback. Set
``CJE_DEBUG=1`` to get the traceback instead.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cje.errors import CJEError

F = TypeVar("F", bound=Callable[..., object])
USER_ERROR_EXIT = 2


def user_errors_exit_2(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # click passes options by keyword; not a pass-through API
        try:
            return func(*args, **kwargs)
        except CJEError as error:
            if os.environ.get("CJE_DEBUG"):
                raise
            click.echo(f"error: {error}", err=True)
            sys.exit(USER_ERROR_EXIT)

    return wrapper  # type: ignore[return-value]
