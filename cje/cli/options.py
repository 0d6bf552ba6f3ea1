"""Options that several scripts share, defined once, and the parameter types
that check values where they enter (finite numbers, safe policy names)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from cje.cli.config import PolicyConfig, load_policy_config
from cje.io.names import PolicyNameError, check_policy_name
from cje.pipeline.settings import ApiSettings, ResumeMode

F = TypeVar("F", bound=Callable[..., object])

MAX_SEED = 2**32 - 1


class FiniteFloat(click.FloatRange):
    """A ``FloatRange`` that also refuses nan and inf (which compare false with any bound)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def finite_float(min: float | None = None, max: float | None = None, *, min_open: bool = False,
                 max_open: bool = False) -> FiniteFloat:
    return FiniteFloat(min=min, max=max, min_open=min_open, max_open=max_open)


class ListOption(click.Option):
    """An option taking one or more values: ``--policies a b``, ``--policies a,b``, or
    the option repeated. The values after it run up to the next option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # click.Option's own signature
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:  # click's parser is private API
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is not None:
                option.process = _greedy(option.process)


def _greedy(process: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def take_following(value: Any, state: Any) -> None:
        process(value, state)
        while state.rargs and not str(state.rargs[0]).startswith("-"):
            process(state.rargs.pop(0), state)

    return take_following


def split_names(values: Sequence[str]) -> tuple[str, ...]:
    """Names from repeated and comma-separated values, in order, without repeats."""
    return tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))


def _policy_names(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> tuple[str, ...]:
    names = split_names(values)
    try:
        for name in names:
            check_policy_name(name, where="--policies")
    except PolicyNameError as error:
        raise click.BadParameter(str(error).removeprefix("--policies: "), ctx, param) from None
    return names


def policies_option(help_text: str) -> Callable[[F], F]:
    """``--policies NAME...``: the names (checked for safe characters) as a tuple; empty: all."""
    return click.option("--policies", "policy_names", cls=ListOption, metavar="NAME...", callback=_policy_names,
                        show_default="all", help=help_text + " Names follow the option, separated by spaces or commas.")


quiet_option = click.option(
    "--quiet", is_flag=True, help="Print only the results table: no status text, no progress bars."
)
seed_option = click.option(
    "--seed", type=click.IntRange(0, MAX_SEED), default=42, show_default=True,
    help="Seed for every random choice (0 to 2^32-1); the same seed gives the same result.",
)
dry_run_option = click.option(
    "--dry-run", is_flag=True,
    help="Say what would be done - rows done, to do and to redo, and why - then stop: nothing is sent "
         "and nothing is written.",
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

def _api_option_list() -> tuple[Callable[[F], F], ...]:
    return (
        click.option("--concurrency", type=click.IntRange(1), default=8, show_default=True,
                     help="Requests in flight at once."),
        click.option("--requests-per-minute", type=finite_float(min=0, min_open=True), default=None,
                     show_default="no cap", help="Cap on requests started per minute."),
        click.option("--max-retries", type=click.IntRange(1), default=5, show_default=True,
                     help="Attempts per request, the first included, for retryable faults "
                          "(429, 5xx, timeouts, dropped connections, malformed replies)."),
        click.option("--batch-size", type=click.IntRange(1), default=20, show_default=True,
                     help="How many finished rows may wait for an fsync: every row is written to its log "
                          "as it finishes, and the logs are fsync'd at least every N rows (and at the end)."),
        click.option("--timeout", type=finite_float(min=0, min_open=True), default=120.0,
                     show_default=True, help="Seconds to wait for one reply."),
        click.option("--retry-base-delay", type=finite_float(0), default=1.0, show_default=True,
                     help="First backoff delay in seconds; it doubles per retry, with jitter, up to 60 s."),
        click.option("--max-retry-after", type=finite_float(0), default=120.0, show_default=True,
                     help="Longest Retry-After (seconds) honoured; a longer one is cut to this."),
    )


_API_NAMES = ("concurrency", "requests_per_minute", "max_retries", "batch_size", "timeout",
              "retry_base_delay", "max_retry_after")


def api_options() -> Callable[[F], F]:
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
        for option in reversed(_api_option_list()):
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
    "--oracle-fraction", type=finite_float(0, 1), default=1.0, show_default=True,
    help="Share of the logging policy's responses the (expensive) oracle labels, chosen by a seeded "
         "hash of prompt_id. 1.0 suits the offline simulator; with a paid oracle try 0.1-0.25 "
         "(the analysis can subsample further with --oracle-coverage).",
)
probe_fraction_option = click.option(
    "--probe-fraction", type=finite_float(0, 1), default=0.05, show_default=True,
    help="Share of each target policy's responses the oracle labels: the probe slice the analysis "
         "uses to check that the judge-to-oracle calibration transports to that policy.",
)
draw_logprobs_option = click.option(
    "--draw-logprobs/--no-draw-logprobs", default=True, show_default=True,
    help="Also teacher-force each target policy's own responses under itself and under the logging policy "
         "(two echo requests per response): the analysis then measures how much of what the target writes the "
         "logger could have written, and does not call an IPS estimate ok across a support gap.",
)
verbose_option = click.option("--verbose", "-v", is_flag=True, help="Log every retry and warning detail.")
pipeline_quiet_option = click.option(
    "--quiet", is_flag=True, help="No progress bars or status blocks; print only the final summary and errors.",
)
