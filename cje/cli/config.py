"""The experiment's roles, read from the top-level ``policy_config.py``."""

from __future__ import annotations

from types import ModuleType

from cje.errors import CJEError
from cje.pipeline.settings import Roles


def load_policy_config() -> ModuleType:
    try:
        import policy_config
    except ImportError as error:
        raise CJEError(f"cannot import policy_config ({error}); run from the repository root") from None
    return policy_config


def load_roles() -> Roles:
    """Policies (logging policy first), judge and oracle of ``policy_config``."""
    config = load_policy_config()
    return Roles(policies=dict(config.POLICIES), logging_policy=config.LOGGING_POLICY,
                 judge=config.JUDGE, oracle=config.ORACLE)
