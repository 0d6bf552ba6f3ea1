"""The experiment's policies, judge and oracle, read from a ``policy_config.py`` file.

``--policy-config PATH`` names the file (every script that reads policies
takes it); the default is this project's own ``policy_config.py``, found
beside the ``cje`` package - not in the working directory, so scripts work
from anywhere. The file is Python: it must define ``POLICIES`` (name -> role,
the logging policy among them), ``LOGGING_POLICY``, ``JUDGE`` and ``ORACLE``,
and may define ``PRICES`` (model -> (USD per million input tokens, USD per
million output tokens)), used only for cost estimates. Everything is checked
when it is loaded; a problem is one message naming the file.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cje.api.endpoints import Role
from cje.errors import CJEError
from cje.io.names import check_policy_name
from cje.pipeline.settings import ModelPrice, Roles

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY_CONFIG = PROJECT_ROOT / "policy_config.py"
_ROLE_FIELDS: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("name", str), ("model", str), ("base_url", str), ("api_key_env", str),
    ("temperature", (int, float)), ("chat_template", str),
)


class PolicyConfigError(CJEError):
    """``policy_config.py`` cannot be loaded or breaks its contract."""


@dataclass(frozen=True)
class PolicyConfig:
    """What a policy config file defines, checked."""

    path: Path
    roles: Roles
    prices: Mapping[str, ModelPrice]


def load_policy_config(path: Path | None = None) -> PolicyConfig:
    """Load and check ``path`` (default: the project's ``policy_config.py``)."""
    path = DEFAULT_POLICY_CONFIG if path is None else path
    module = _execute(path)
    policies = _mapping(module, path, "POLICIES")
    if not policies:
        raise PolicyConfigError(f"{path}: POLICIES is empty")
    for key, role in policies.items():
        check_policy_name(key, where=f"{path}: POLICIES")
        _check_role(role, path, f"POLICIES[{key!r}]")
        if role.name != key:
            raise PolicyConfigError(f"{path}: POLICIES[{key!r}] is a role named {role.name!r}; use the same name")
    logging_policy = getattr(module, "LOGGING_POLICY", None)
    if logging_policy not in policies:
        raise PolicyConfigError(f"{path}: LOGGING_POLICY ({logging_policy!r}) must name one of POLICIES "
                                f"({', '.join(policies)})")
    judge, oracle = (_check_role(getattr(module, name, None), path, name) for name in ("JUDGE", "ORACLE"))
    roles = Roles(policies=dict(policies), logging_policy=str(logging_policy), judge=judge, oracle=oracle)
    return PolicyConfig(path=path, roles=roles, prices=_prices(module, path))


def _execute(path: Path) -> ModuleType:
    if not path.is_file():
        raise PolicyConfigError(f"{path}: no such policy config file; pass --policy-config PATH "
                                f"(the project's own is {DEFAULT_POLICY_CONFIG})")
    spec = importlib.util.spec_from_file_location("cje_policy_config", path)
    if spec is None or spec.loader is None:
        raise PolicyConfigError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs: dataclasses defined in the file look their module up there.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise PolicyConfigError(f"{path}:{error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # the user's file may raise anything; report it as the file's problem
        raise PolicyConfigError(f"{path}{_line_in(error, path)}: loading it raised {type(error).__name__}: "
                                f"{error}") from None
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _line_in(error: BaseException, path: Path) -> str:
    """``:N``, the line of ``path`` where ``error`` was raised, if it is in the traceback."""
    line = ""
    for frame, number in traceback.walk_tb(error.__traceback__):
        if Path(frame.f_code.co_filename) == path:
            line = f":{number}"
    return line


def _mapping(module: ModuleType, path: Path, name: str) -> Mapping[str, Any]:
    value = getattr(module, name, None)
    if not isinstance(value, Mapping):
        raise PolicyConfigError(f"{path}: {name} must be a dict, found {type(value).__name__}")
    return value


def _check_role(role: object, path: Path, where: str) -> Role:
    for field, kind in _ROLE_FIELDS:
        value = getattr(role, field, None)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise PolicyConfigError(f"{path}: {where}.{field} must be a non-empty {_kind_name(kind)}, "
                                    f"found {value!r}")
    temperature = float(role.temperature)  # type: ignore[attr-defined]
    if not (math.isfinite(temperature) and 0.0 <= temperature <= 2.0):
        raise PolicyConfigError(f"{path}: {where}.temperature must be in [0, 2], found {temperature}")
    system_prompt = getattr(role, "system_prompt", None)
    if system_prompt is not None and not isinstance(system_prompt, str):
        raise PolicyConfigError(f"{path}: {where}.system_prompt must be a string or None")
    return role  # type: ignore[return-value]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return "number" if isinstance(kind, tuple) else "string"


def _prices(module: ModuleType, path: Path) -> dict[str, ModelPrice]:
    if getattr(module, "PRICES", None) is None:
        return {}
    prices = {}
    for model, value in _mapping(module, path, "PRICES").items():
        pair = tuple(value) if isinstance(value, (tuple, list)) else ()
        if len(pair) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                     and math.isfinite(v) and v >= 0 for v in pair):
            raise PolicyConfigError(f"{path}: PRICES[{model!r}] must be (USD per million input tokens, "
                                    f"USD per million output tokens), two numbers >= 0; found {value!r}")
        prices[str(model)] = ModelPrice(float(pair[0]), float(pair[1]))
    return prices
