"""Turn a role of ``policy_config`` into an endpoint the client can call.

Environment overrides (read when ``resolve_endpoint`` is called):

* ``CJE_BASE_URL`` replaces every role's base URL, and ``CJE_API_KEY`` every
  role's key; without ``CJE_API_KEY`` the role's own key variable is used.
* ``CJE_JUDGE_MODEL`` / ``CJE_ORACLE_MODEL`` replace the model of the roles
  named ``judge`` / ``oracle``.

An empty variable counts as unset, so ``CJE_BASE_URL= cmd`` disables it. A
base URL must be an ``http://`` or ``https://`` URL with a host; anything else
is refused when the endpoint is resolved, naming where the URL came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from cje.api.errors import InvalidEndpointError, MissingAPIKeyError

BASE_URL_ENV = "CJE_BASE_URL"
API_KEY_ENV = "CJE_API_KEY"
MODEL_OVERRIDE_ENV = {"judge": "CJE_JUDGE_MODEL", "oracle": "CJE_ORACLE_MODEL"}


class Role(Protocol):
    """What a role must provide; ``policy_config.Role`` is one. A protocol, so the
    library does not import the top-level config script."""

    @property
    def name(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def api_key_env(self) -> str: ...
    @property
    def temperature(self) -> float: ...
    @property
    def system_prompt(self) -> str | None: ...
    @property
    def chat_template(self) -> str: ...


class Secret:
    """A string that never shows itself: repr and str are redacted, and it is
    not JSON-serialisable, so it cannot slip into a file or a log by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __copy__(self) -> Secret:
        return self  # immutable; lets dataclasses.asdict copy an Endpoint

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> str:
        # Pickling would write the key to wherever the pickle goes.
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Endpoint:
    """A role resolved against the environment: where to send its requests.

    ``api_key_env`` names the variable the key came from; the key itself is a
    ``Secret`` and appears in no repr.
    """

    role: str
    model: str
    base_url: str
    api_key_env: str
    api_key: Secret
    temperature: float
    system_prompt: str | None
    chat_template: str


def resolve_endpoint(role: Role, *, env: Mapping[str, str] | None = None) -> Endpoint:
    """Apply the environment overrides to ``role`` and read its key.

    ``env`` defaults to ``os.environ``. Raises ``MissingAPIKeyError`` naming the
    variable(s) to set when no key is found.
    """
    environ = os.environ if env is None else env
    base_url = _get(environ, BASE_URL_ENV) or role.base_url
    check_base_url(base_url, source=BASE_URL_ENV if _get(environ, BASE_URL_ENV) else f"{role.name}.base_url")
    model_env = MODEL_OVERRIDE_ENV.get(role.name)
    model = (_get(environ, model_env) if model_env else None) or role.model
    key_env, key = _find_key(role, environ)
    return Endpoint(
        role=role.name,
        model=model,
        base_url=base_url,
        api_key_env=key_env,
        api_key=Secret(key),
        temperature=role.temperature,
        system_prompt=role.system_prompt,
        chat_template=role.chat_template,
    )


def base_url_of(role: Role, env: Mapping[str, str] | None = None) -> str:
    """The base URL ``role``'s requests go to (``CJE_BASE_URL`` wins), without reading a key."""
    environ = os.environ if env is None else env
    return _get(environ, BASE_URL_ENV) or role.base_url


def check_base_url(url: str, *, source: str) -> None:
    """Refuse a base URL that is not ``http(s)://host...``; ``source`` says where it came from."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidEndpointError(
            f"{source}={url!r} is not an http(s) URL with a host. What to do: give the API's base URL, "
            "e.g. http://127.0.0.1:8000/v1 for the offline simulator or https://api.openai.com/v1"
        )


def _find_key(role: Role, environ: Mapping[str, str]) -> tuple[str, str]:
    for name in (API_KEY_ENV, role.api_key_env):
        value = _get(environ, name)
        if value:
            return name, value
    raise MissingAPIKeyError(role.name, (API_KEY_ENV, role.api_key_env))


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None
