"""Every command-line entry point of the project, by the name a user types, and
how its options show their defaults (as the README's vocabulary table does)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[2]

# name -> module whose ``main`` is the click command
ENTRY_POINTS = {
    "analyze_dataset.py": "analyze_dataset",
    "generate_arena_data.py": "generate_arena_data",
    "regenerate_failed_responses.py": "regenerate_failed_responses",
    "prepare_prompts.py": "pipeline_steps.prepare_prompts",
    "generate_responses.py": "pipeline_steps.generate_responses",
    "add_scores_with_resume.py": "pipeline_steps.add_scores_with_resume",
    "compute_logprobs.py": "pipeline_steps.compute_logprobs",
    "build_dataset.py": "pipeline_steps.build_dataset",
    "cje.simulator": "cje.simulator.cli",
    "cje.world": "cje.world.__main__",
    "cje.demo": "cje.demo",
    "make_default_prompts.py": "tools.make_default_prompts",
    "analysis_speed.py": "benchmarks.analysis_speed",
    "coverage_experiment.py": "benchmarks.coverage_experiment",
    "pipeline_throughput.py": "benchmarks.pipeline_throughput",
    "run_all.py": "benchmarks.run_all",
    "simulator_throughput.py": "benchmarks.simulator_throughput",
    "speed.py": "benchmarks.speed",
    "speed_probe.py": "benchmarks.lib.speed_probe",
    "adversarial.py": "benchmarks.adversarial",
    "self_check.py": "benchmarks.self_check",
    "plan_labels.py": "plan_labels",
    "decisions_paired.py": "benchmarks.decisions_paired",
    "decisions_planner.py": "benchmarks.decisions_planner",
    "decisions_covariates.py": "benchmarks.decisions_covariates",
    "decisions_active.py": "benchmarks.decisions_active",
}


def command(name: str) -> click.Command:
    return importlib.import_module(ENTRY_POINTS[name]).main


def options(name: str) -> dict[str, click.Option]:
    """The long options of an entry point, by flag."""
    found = {}
    for param in command(name).params:
        if isinstance(param, click.Option):
            for flag in param.opts:
                if flag.startswith("--"):
                    found[flag] = param
    return found


def shown_default(option: click.Option) -> str:
    """The default as a user would type it: what ``--help`` shows, ``on`` or
    ``off`` for a flag, ``required``, or ``none`` when the option is simply
    absent by default."""
    if isinstance(option.show_default, str):
        return option.show_default
    if option.is_flag:
        return "on" if option.default is True else "off"
    if option.required:
        return "required"
    default = option.default
    if default is None or type(default).__name__ == "Sentinel" or default == ():
        return "none"
    if isinstance(default, (tuple, list)):
        return ",".join(str(v) for v in default)
    return str(default)
