"""Options that several scripts share, defined once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cje.cli.config import PolicyConfig, load_policy_config
from cje.pipeline.settings import ApiSettings, ResumeMode

F = TypeVar("F", bound=Callable[..., object])

quiet_option = click.option(
    "--quiet", is_flag=True, help="Print only the results table: no status text, no progress bars."
)
seed_option = click.option(
    "--seed", type=int, default=42, show_default=True,
    help="Seed for every random choice; the same seed gives the same result.",
)
def _load_policy_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> PolicyConfig:
    return load_policy_config(value)


policy_config_option = click.option(
    "--policy-config", "policy_config", type=click.Path(dir_okay=False, path_type=Path), default=None,
    callback=_load_policy_config, show_default="policy_config.py of this project",
    help="Python file defining the policies, judge, oracle and model prices (POLICIES, LOGGING_POLICY, "
         "JUDGE, ORACLE, PRICES). The default is found beside the cje package, not in the working directory.",
)
data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default="data", show_default=True,
    help="Directory holding prompts, responses, log-probs and the dataset.",
)


# ---- the data-generation pipeline --------------------------------------------
# Each group below adds its options and hands the command one settings object
# (``api``, ``mode``) instead of the separate values.

def _api_option_list(batch_size_default: int) -> tuple[Callable[[F], F], ...]:
    return (
        click.option("--concurrency", type=click.IntRange(1), default=8, show_default=True,
                     help="Requests in flight at once."),
        click.option("--requests-per-minute", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Cap on requests started per minute (default: no cap)."),
        click.option("--max-retries", type=click.IntRange(1), default=5, show_default=True,
                     help="Attempts per request, the first included, for retryable faults "
                          "(429, 5xx, timeouts, dropped connections, malformed replies)."),
        click.option("--batch-size", type=click.IntRange(1), default=batch_size_default, show_default=True,
                     help="Rows are written as they finish; the files are fsync'd at least every N rows."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0,
                     show_default=True, help="Seconds to wait for one reply."),
        click.option("--retry-base-delay", type=click.FloatRange(0), default=1.0, show_default=True,
                     help="First backoff delay in seconds; it doubles per retry, with jitter, up to 60 s."),
        click.option("--max-retry-after", type=click.FloatRange(0), default=120.0, show_default=True,
                     help="Longest Retry-After (seconds) honoured; a longer one is cut to this."),
    )


_API_NAMES = ("concurrency", "requests_per_minute", "max_retries", "batch_size", "timeout",
              "retry_base_delay", "max_retry_after")


def api_options(*, batch_size_default: int = 20) -> Callable[[F], F]:
    """Request options, passed to the command as ``api: ApiSettings``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **options: Any) -> Any:  # click passes options by keyword; not a pass-through API
            values = {name: options.pop(name) for name in _API_NAMES}
            options["api"] = ApiSettings(
                concurrency=values["concurrency"], requests_per_minute=values["requests_per_minute"],
                max_attempts=values["max_retries"], timeout=values["timeout"],
                retry_base_delay=values["retry_base_delay"], max_retry_after=values["max_retry_after"],
                batch_size=values["batch_size"],
            )
            return func(*args, **options)

        decorated = wrapper
        for option in reversed(_api_option_list(batch_size_default)):
            decorated = option(decorated)
        return decorated  # type: ignore[return-value]

    return decorate


def resume_options(func: F) -> F:
    """``--skip-existing`` / ``--force``, passed to the command as ``mode: ResumeMode``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **options: Any) -> Any:  # click passes options by keyword; not a pass-through API
        skip, force = options.pop("skip_existing"), options.pop("force")
        if skip and force:
            raise click.UsageError("--skip-existing and --force contradict each other; give one")
        options["mode"] = ResumeMode.FORCE if force else ResumeMode.SKIP_EXISTING if skip else ResumeMode.RESUME
        return func(*args, **options)

    wrapper = click.option(
        "--force", is_flag=True,
        help="Redo every row, even those already finished (no confirmation is asked).")(wrapper)
    wrapper = click.option(
        "--skip-existing", is_flag=True,
        help="Keep every finished row even if it was made with other settings (model, temperature, "
             "--max-tokens, --seed); do only missing and failed rows and values whose prompt or response "
             "text has changed. Without this flag rows made with other settings are redone too.")(wrapper)
    return wrapper  # type: ignore[return-value]


max_tokens_option = click.option(
    "--max-tokens", type=click.IntRange(1), default=256, show_default=True,
    help="Longest response a policy may write, in tokens.",
)
oracle_fraction_option = click.option(
    "--oracle-fraction", type=click.FloatRange(0, 1), default=1.0, show_default=True,
    help="Share of the logging policy's responses the (expensive) oracle labels, chosen by a seeded "
         "hash of prompt_id. 1.0 suits the offline simulator; with a paid oracle try 0.1-0.25 "
         "(the analysis can subsample further with --oracle-coverage).",
)
probe_fraction_option = click.option(
    "--probe-fraction", type=click.FloatRange(0, 1), default=0.05, show_default=True,
    help="Share of each target policy's responses the oracle labels: the probe slice the analysis "
         "uses to check that the judge-to-oracle calibration transports to that policy.",
)
verbose_option = click.option("--verbose", "-v", is_flag=True, help="Log every retry and warning detail.")
pipeline_quiet_option = click.option(
    "--quiet", is_flag=True, help="No progress bars or status blocks; print only the final summary and errors.",
)
