#!/usr/bin/env python3
"""Plan an experiment's size: how many prompts and oracle labels a goal needs.

Reads the variance of each estimate from a PILOT dataset (any small run of the
same experiment, analysed here with --estimator), or takes it as stated
(--eval-variance per prompt, --calibration-variance per oracle label), and
recommends the number of prompts and of oracle labels that meets the goal at
the lowest cost. The split follows the square-root rule: labels per prompt =
sqrt(calibration variance x prompt cost / (evaluation variance x label cost)),
adjusted for the interval's degrees of freedom and for labels sitting on
logged prompts. Also prints what fixed oracle shares (5-100%) would cost for
the same goal, and how many oracle labels on each target policy's own
responses (its probe slice) make its transport check decisive at
--transport-margin.

\b
Goals (give one):
  --half-width H              every policy's CI half-width at most H
  --detectable-difference D   a difference D between policies detected with
                              --power (every compared pair, or --pair A,B),
                              at the level the paired tests will use after
                              adjusting for the number of pairs
  --budget B                  the narrowest intervals B buys (the reverse)

\b
Examples:
  python plan_labels.py --data pilot/cje_dataset.jsonl --half-width 0.01
  python plan_labels.py --data pilot/cje_dataset.jsonl --detectable-difference 0.02 \\
      --pair premium,clone --oracle-cost 16 --judge-cost 1 --draw-cost 2
  python plan_labels.py --eval-variance 0.04 --calibration-variance 0.012 --budget 50000

Bad input stops with a one-line message and exit status 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from cje.cli.errors import command
from cje.cli.options import seed_option
from cje.errors import CJEError
from cje.io.atomic import write_json_atomic

PILOT_JACKKNIFE_FOLDS = 40
"""More groups than the analysis's default: a steadier per-label variance."""


@command(help=__doc__)
@click.option("--data", "data_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Pilot dataset JSONL (fresh draws in responses/ beside it, or --fresh-draws-dir).")
@click.option("--fresh-draws-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The pilot's fresh draws [default: responses/ beside --data].")
@click.option("--probe-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of {policy}_probe.jsonl oracle labels on target policies' draws.")
@click.option("--estimator", default="direct", show_default=True,
              help="The estimator the real run will report (the pilot is analysed with it).")
@click.option("--pilot-oracle-coverage", type=click.FloatRange(0, 1, min_open=True), default=1.0,
              show_default=True, help="Share of the pilot's oracle labels to use.")
@click.option("--eval-variance", type=click.FloatRange(0), default=None,
              help="Instead of a pilot: variance per prompt (sampling SE squared times prompts).")
@click.option("--calibration-variance", type=click.FloatRange(0), default=None,
              help="Instead of a pilot: variance per oracle label (calibration SE squared times labels).")
@click.option("--target-policies", type=click.IntRange(1), default=None,
              help="Target policies needing fresh draws [default: the pilot's; 1 with stated variances].")
@click.option("--judge-cost", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Cost of one judge score.")
@click.option("--oracle-cost", type=click.FloatRange(0, min_open=True), default=16.0, show_default=True,
              help="Cost of one oracle label (the published experiment's oracle cost about 16 judge scores).")
@click.option("--draw-cost", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Cost of one fresh response from a target policy.")
@click.option("--half-width", type=click.FloatRange(0, min_open=True), default=None,
              help="Goal: every policy's CI half-width at most this (oracle-score units, 0-1).")
@click.option("--detectable-difference", type=click.FloatRange(0, min_open=True), default=None,
              help="Goal: a difference this large between two policies is detected with --power.")
@click.option("--pair", default=None, help="A,B: plan the detectable difference for this pair only.")
@click.option("--power", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8, show_default=True,
              help="Probability of detecting --detectable-difference.")
@click.option("--budget", type=click.FloatRange(0, min_open=True), default=None,
              help="Goal: the narrowest intervals this budget buys (same units as the costs).")
@click.option("--ci-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals (and 1 - level of the paired tests).")
@click.option("--jackknife-folds", type=click.IntRange(2), default=10, show_default=True,
              help="Oracle jackknife groups the real analysis will use (analyze_dataset.py's option).")
@click.option("--transport-margin", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Tolerance of the transport check the probe slices are sized for.")
@click.option("--probe-power", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8,
              show_default=True, help="Wanted probability of a decisive transport verdict.")
@seed_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the plan as JSON.")
def main(data_path, fresh_draws_dir, probe_dir, estimator, pilot_oracle_coverage, eval_variance,
         calibration_variance, target_policies, judge_cost, oracle_cost, draw_cost, half_width,
         detectable_difference, pair, power, budget, ci_level, jackknife_folds, transport_margin, probe_power,
         seed, output):
    from cje.planning.allocation import Costs
    from cje.planning.plan import Goal, make_plan
    from cje.planning.variance import Components
    from cje.report.plan import plan_json, plan_text

    stated = eval_variance is not None or calibration_variance is not None
    if stated == (data_path is not None):
        raise CJEError("give either --data PILOT or both --eval-variance and --calibration-variance")
    pair_names = _pair(pair)
    if stated:
        if eval_variance is None or calibration_variance is None:
            raise CJEError("stated variances need both --eval-variance and --calibration-variance")
        stated_components = Components("stated", eval_variance, calibration_variance)
        policies, pairs, probes, family, n_policies = [stated_components], [stated_components], (), 1, 1
    else:
        pilot = _pilot(data_path, fresh_draws_dir, probe_dir, estimator, pilot_oracle_coverage, ci_level, seed)
        policies, pairs, probes = list(pilot.policies), list(pilot.pairs), pilot.probes
        family, n_policies = max(len(pairs), 1), len(pilot.policies) + len(pilot.left_out)
        click.echo(f"Pilot: {pilot.n_prompts:,} prompts, {pilot.n_labels:,} oracle labels, {estimator}"
                   + (f"; planned without: {', '.join(pilot.left_out)}" if pilot.left_out else "") + "\n")
    goal = Goal(level=ci_level, half_width=half_width, detectable_difference=detectable_difference,
                pair=pair_names, power=power, budget=budget, family_size=family)
    costs = Costs(judge_cost, oracle_cost, draw_cost, target_policies or n_policies)
    plan = make_plan(goal, costs, policies, pairs, probes=probes, margin=transport_margin, probe_power=probe_power,
                     jackknife_folds=jackknife_folds)
    click.echo(plan_text(plan))
    if output is not None:
        write_json_atomic(output, plan_json(plan))
        click.echo(f"plan written to {output}")


def _pair(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if len(names) != 2:
        raise CJEError(f"--pair takes two policies as A,B, got {text!r}")
    return names[0], names[1]


def _pilot(data_path, fresh_draws_dir, probe_dir, estimator, coverage, ci_level, seed):
    from cje.analysis import AnalysisSettings, analyze
    from cje.data.load import load_dataset
    from cje.planning.pilot import pilot_components

    dataset = load_dataset(data_path, fresh_draws_dir, probe_dir=probe_dir)
    try:
        settings = AnalysisSettings(estimators=(estimator,), oracle_coverage=coverage, seed=seed, ci_level=ci_level,
                                    jackknife_folds=PILOT_JACKKNIFE_FOLDS)
    except ValueError as error:
        raise CJEError(str(error)) from error
    return pilot_components(analyze(dataset, settings), estimator)


if __name__ == "__main__":
    main()
