"""Policy names: they become file names (``responses/{policy}_responses.jsonl``)
and table rows, so only a safe set of characters is accepted.

A policy name is 1 to 64 characters: ASCII letters, digits, ``_``, ``-`` and
``.``, starting with a letter or a digit. So no path separators, no ``..``,
no spaces or newlines, nothing a file system or a terminal table mangles.
Every place a name enters - ``policy_config.py``, data files, ``--policies`` -
checks it with :func:`check_policy_name`.
"""

from __future__ import annotations

import re

from cje.errors import CJEError

POLICY_NAME_RULE = (
    "1-64 characters: ASCII letters, digits, '_', '-' and '.', starting with a letter or digit"
)
_POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class PolicyNameError(CJEError):
    """A policy name outside the safe character set."""


def is_policy_name(name: object) -> bool:
    return isinstance(name, str) and _POLICY_NAME.fullmatch(name) is not None


def check_policy_name(name: object, *, where: str) -> str:
    """``name`` if it is a valid policy name; else ``PolicyNameError`` naming ``where``."""
    if not is_policy_name(name):
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise PolicyNameError(f"{where}: policy name {shown} is not allowed; a policy name is {POLICY_NAME_RULE}")
    return str(name)
