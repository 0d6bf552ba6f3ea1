"""The one-file HTML report: the page a team lead reads.

Everything is inside the file: styles inline, figures as base64 PNGs, no
script, no font, no link to fetch; it opens the same without a network. The
sections, in order: the verdict, the estimates with their statuses and
reasons, the forest plot, transport, calibration, weights, the data, and the
settings with where everything came from.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cje.analysis.run import Failure
from cje.report.console import data_summary
from cje.report.document import SCHEMA_VERSION, estimate_json, transport_json
from cje.report.flags import policy_flags
from cje.report.provenance import Provenance, versions
from cje.report.words import labels_words, tail_words

if TYPE_CHECKING:
    from cje.coverage_sweep import Sweep
    from cje.results import Results

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.2rem;margin:32px 0 8px;border-bottom:1px solid #d8dce3;
padding-bottom:4px}.sub{color:#5a6473;margin:0 0 16px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:6px 18px 14px;margin-top:18px}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:8px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
td:first-child,td:nth-child(2){white-space:nowrap}
th{background:#f0f2f5;font-weight:600}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.8rem}
.ok{background:#dff3e4;color:#1b6b34}.warn{background:#fff1cc;color:#7a5200}.refuse{background:#fbdcdc;color:#8f1d1d}
.verdict{font-size:1.05rem;padding:12px 16px;border-radius:6px;background:#eef4fb;border-left:5px solid #0072b2}
code{background:#f0f2f5;padding:0 4px;border-radius:3px;font-size:.85em}
img{max-width:100%;height:auto;display:block;margin:8px 0}
ul{margin:6px 0 6px 18px;padding:0}li{margin:3px 0}
.muted{color:#6b7482;font-size:.85rem}.code{font-family:ui-monospace,monospace;font-size:.8rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
"""


def write_report(path: str | Path, results: Results) -> None:
    from cje.io.atomic import write_text_atomic

    write_text_atomic(path, report_html(results))


def write_sweep_report(path: str | Path, sweep: Sweep) -> None:
    from cje.io.atomic import write_text_atomic

    write_text_atomic(path, sweep_report_html(sweep))


def report_html(results: Results) -> str:
    from cje.plots.save import analysis_figures, png_bytes

    figures = {name: png_bytes(figure) for name, figure in analysis_figures(results).items()}
    result = results.analysis
    sections = [
        _section("Verdict", f'<p class="verdict">{escape(results.best_policy().message)}</p>'
                 f'<p class="muted">Best-policy code <code>{results.best_policy().code}</code>; a policy is named '
                 "only when its interval lies wholly above the runner-up's.</p>"),
        _section("Estimates", _estimates_table(results) + _reasons(results)),
        _figure_section("Estimates at a glance", figures.get("policy_estimates"),
                        "Forest plot: each policy's estimates with their intervals"),
        _section("Does the judge calibration hold for each policy?", _transport_table(results)),
        _figure_section("Calibration", figures.get("calibration_comparison"),
                        "Judge scores against oracle labels", intro=_rewards_words(results)),
        _figure_section("Importance weights", figures.get("weight_dashboard"),
                        "Weight dashboard", intro=_weights_table(results)),
        _section("Data", "<pre class=code>" + escape(data_summary(results)) + "</pre>"),
        _section("Settings and provenance", _settings(results) + _provenance(results.provenance)),
    ]
    title = f"Policy evaluation · {results.data_label}"
    settings = result.settings
    subtitle = (f"estimators {', '.join(settings.estimators)} · oracle coverage {settings.oracle_coverage:g} "
                f"({labels_words(result)}) · seed {settings.seed}")
    return _page(title, subtitle, results.provenance, sections)


def sweep_report_html(sweep: Sweep) -> str:
    from cje.plots.save import png_bytes, sweep_figure

    first = sweep.runs[0]
    best = "".join(f"<li>coverage {run.settings.oracle_coverage:g}: {escape(run.best_policy().message)}</li>"
                   for run in sweep.runs)
    sections = [
        _figure_section("Estimates against oracle coverage", png_bytes(sweep_figure(sweep)),
                        "Each policy's estimates with intervals at every coverage"),
        _section("Best policy at each coverage", f"<ul>{best}</ul>"),
        _section("Estimates at every coverage", _sweep_table(sweep)),
        _section("Data", "<pre class=code>" + escape(data_summary(first)) + "</pre>"),
        _section("Settings and provenance", _settings(first) + _provenance(sweep.provenance)),
    ]
    subtitle = (f"{', '.join(first.estimators)} · coverages {', '.join(f'{c:g}' for c in sweep.coverages)} · "
                f"seed {first.settings.seed}")
    return _page(f"Oracle-coverage sweep · {first.data_label}", subtitle, sweep.provenance, sections)


def _sweep_table(sweep: Sweep) -> str:
    rows = sorted(sweep.rows(), key=lambda r: (sweep.runs[0].policies.index(r["policy"]),
                                               sweep.runs[0].estimators.index(r["estimator"])))
    truth = any(r["truth"] is not None for r in rows)
    body = []
    for r in rows:
        interval = "—" if r["ci_low"] is None else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        codes = " ".join(f"<code>{escape(c)}</code>" for c in r["reason_codes"].split(";") if c)
        row = [escape(r["policy"]), escape(r["estimator"]), f"{r['oracle_coverage']:g}", str(r["n_oracle_labels"]),
               _fmt(r["estimate"]), interval, _badge(r["status"]), codes or "—"]
        if truth:
            row.append(_fmt(r["truth"]))
        body.append(row)
    header = ["policy", "estimator", "coverage", "labels", "estimate", f"{sweep.runs[0].settings.ci_level:.0%} CI",
              "status", "reasons"] + (["truth"] if truth else [])
    return _table(header, body, numeric=(2, 3, 4, 5, 8))


def _page(title: str, subtitle: str, provenance: Provenance, sections: Sequence[str]) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class=sub>{escape(subtitle)}<br>created {escape(provenance.created)}</p>"
        + "".join(sections)
        + f'<p class="muted">arena-cje · results schema {SCHEMA_VERSION}</p></main></body></html>\n'
    )


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def _figure_section(heading: str, png: bytes | None, alt: str, intro: str = "") -> str:
    if png is None:
        return _section(heading, intro + '<p class="muted">Nothing to draw for this run.</p>')
    data = base64.b64encode(png).decode("ascii")
    return _section(heading, f'{intro}<img alt="{escape(alt)}" src="data:image/png;base64,{data}">')


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
                         for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _badge(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(status)}</span>'


def _estimates_table(results: Results) -> str:
    result = results.analysis
    level = result.settings.ci_level
    truth = results.truth or {}
    rows = []
    for policy in result.policies:
        for estimator in result.settings.estimators:
            if (estimator, policy) not in result.results:
                continue
            entry = estimate_json(result, estimator, policy)
            interval = ("—" if entry["ci_low"] is None
                        else f"[{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]")
            codes = " ".join(f"<code>{escape(c)}</code>" for c in dict.fromkeys(entry["reason_codes"]))
            ess = "—" if entry["ess"] is None else f"{entry['ess']:.1%}"
            row = [escape(policy), escape(estimator), _fmt(entry["estimate"]), _fmt(entry["se"]), interval, ess,
                   _badge(entry["status"]), codes or "—"]
            if truth:
                row.append(_fmt(truth.get(policy)))
            rows.append(row)
    header = ["policy", "estimator", "estimate", "SE", f"{level:.0%} CI", "ESS", "status", "reasons"]
    if truth:
        header.append("truth")
    return _table(header, rows, numeric=(2, 3, 4, 5, 8))


def _reasons(results: Results) -> str:
    parts = []
    for policy in results.analysis.policies:
        groups = policy_flags(results.analysis, policy)
        if not groups:
            continue
        items = "".join(f"<li><code>{escape(g.code)}</code> {escape(g.message)} <span class=muted>("
                        + escape(", ".join(f"{e}: {lvl}" for e, lvl in g.flagged)) + ")</span></li>"
                        for g in groups)
        parts.append(f"<h3>{escape(policy)}</h3><ul>{items}</ul>")
    if not parts:
        return '<p class="muted">No estimate is flagged.</p>'
    return "<h3>Why estimates are flagged</h3>" + "".join(parts)


def _transport_table(results: Results) -> str:
    result = results.analysis
    rows = []
    for policy, summary in result.policies.items():
        if summary.transport is None:
            continue
        verdict = transport_json(summary.transport, result.settings.ci_level)
        shift = summary.judge_shift
        seen = "—" if shift is None else f"KS {shift.statistic:.2f} ({'differ' if shift.shifted else 'similar'})"
        rows.append([escape(policy), f"<code>{escape(verdict['verdict'])}</code>", f"±{verdict['margin']:g}",
                     _check(verdict["own_labels"], verdict["own_labels_verdict"]),
                     _check(verdict["orthogonality"], verdict["orthogonality_verdict"]), seen])
    if not rows:
        return '<p class="muted">No policy has fresh draws and rewards: nothing to check.</p>'
    intro = ("<p>A calibration learned on the logging policy may not hold for a policy that fools the judge. "
             "Oracle labels on a policy's own responses (a probe slice) check it directly; the logger's "
             "labelled residuals, weighted to the policy, check it where the weights overlap.</p>")
    return intro + _table(["policy", "verdict", "margin", "own labels: gap [CI], n", "weighted residuals: gap [CI]",
                           "judge scores vs logger's"], rows)


def _check(check: dict[str, Any] | None, verdict: str) -> str:
    if check is None:
        return "—"
    interval = "" if check["ci_low"] is None else f" [{check['ci_low']:+.3f}, {check['ci_high']:+.3f}]"
    return f"{check['gap']:+.3f}{interval}, n={check['n_labels']} <code>{escape(verdict)}</code>"


def _rewards_words(results: Results) -> str:
    rewards = results.analysis.rewards
    if rewards is None:
        return f"<p>No rewards could be formed: {escape(results.analysis.reward_error or '')}</p>"
    if rewards.source == "outcomes":
        return (f"<p>Every logged row has an oracle label or reward ({rewards.n_outcomes}); they are the rewards "
                "and nothing is calibrated.</p>")
    return (f"<p>The judge was calibrated to {rewards.n_kept_labels} of {rewards.n_available_labels} oracle labels "
            f"({rewards.n_folds}-fold cross-fitted, {rewards.calibration_text}; out-of-fold RMSE "
            f"{rewards.out_of_fold_rmse:.3f}).</p>")


def _weights_table(results: Results) -> str:
    rows = []
    for policy, summary in results.analysis.policies.items():
        w = summary.weights
        if w is None:
            continue
        mean = summary.mean_weight
        mean_text = "—" if mean is None else f"{mean.value:.3g} (CI up to {mean.ci()[1]:.3g})"
        rows.append([escape(policy), f"{w.ess_raw:.1%}", f"{w.ess_calibrated:.1%}", f"{w.max_weight:.3g}",
                     f"{w.top1_share:.0%}", f"{w.near_zero_share:.0%}", escape(mean_text),
                     escape(tail_words(w.hill_index))])
    if not rows:
        return ""
    return _table(["policy", "ESS raw", "ESS calibrated", "largest weight", "top 1% hold", "near-zero rows",
                   "mean raw weight", "tail"], rows, numeric=(1, 2, 3, 4, 5))


def _settings(results: Results) -> str:
    settings = results.settings
    rows = [[escape(name), escape(str(value))] for name, value in (
        ("estimators", ", ".join(settings.estimators)), ("oracle coverage", f"{settings.oracle_coverage:g}"),
        ("seed", settings.seed), ("confidence level", f"{settings.ci_level:g}"), ("inference", settings.inference),
        ("jackknife folds", settings.jackknife_folds), ("MRDR omega", settings.mrdr_omega),
        ("transport margin", f"±{settings.transport_margin:g}"),
        ("policies", ", ".join(settings.policies) if settings.policies else "all in the data"),
        ("estimates not computed", sum(isinstance(o, Failure) for o in results.analysis.results.values())),
    )]
    return _table(["setting", "value"], rows)


def _provenance(provenance: Provenance) -> str:
    command = "Python API" if provenance.command_line is None else " ".join(provenance.command_line)
    files = [[escape(f.role), escape(f.policy or "—"), f"<span class=code>{escape(f.path)}</span>",
              f"<span class=code>{f.sha256[:16]}…</span>", f"{f.bytes:,}"] for f in provenance.sources.files]
    listing = _table(["role", "policy", "path", "sha256", "bytes"], files) if files else (
        '<p class="muted">Rows given in memory.</p>')
    package_versions = ", ".join(f"{name} {version}" for name, version in versions().items())
    return (f"<p>Command: <span class=code>{escape(command)}</span></p>{listing}"
            f"<p class=muted>Data sha256 {provenance.sources.sha256} · {escape(package_versions)}</p>")
