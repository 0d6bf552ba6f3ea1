"""Paired comparisons as text, JSON and a figure."""

import json

import pytest

from cje.analysis import AnalysisSettings, analyze
from cje.report.comparisons import best_policy_text, comparisons_json, comparisons_table, difference_rows


@pytest.fixture(scope="module")
def result(small_sim):
    return analyze(small_sim.dataset, AnalysisSettings(estimators=("direct", "stacked-dr"), oracle_coverage=0.2))


def test_table_lists_every_pair_with_adjusted_p(result, small_sim):
    text = comparisons_table(result.comparisons["stacked-dr"], dict(small_sim.truth))
    assert "p (holm)" in text and "true diff." in text
    assert "parallel_universe_prompt - premium" in text or "premium - parallel_universe_prompt" in text
    assert "not tested (refused estimate)" in text  # unhelpful is refused for DR


def test_claim_says_a_near_tie(result):
    claim = best_policy_text(result.comparisons["direct"])
    assert "not established as best" in claim and "near-tie" in claim and "Holm-adjusted" in claim


def test_json_is_plain_and_complete(result):
    document = json.loads(json.dumps(comparisons_json(result.comparisons), allow_nan=False))
    direct = next(entry for entry in document if entry["estimator"] == "direct")
    assert direct["adjustment"] == "holm" and len(direct["pairs"]) == 10
    assert {"difference", "ci_low", "ci_high", "p_value", "p_adjusted", "significant"} <= set(direct["pairs"][0])
    assert direct["best_policy"]["claim"].startswith("direct:")


def test_difference_plot_is_written(result, small_sim, tmp_path):
    from cje.plots.differences import save_difference_plot

    rows = difference_rows(result.comparisons, dict(small_sim.truth))
    pairs = {r.pair for r in rows}
    assert len(pairs) == 10  # each pair on one line for both estimators
    path = save_difference_plot(rows, tmp_path, ci_level=0.95, adjustment="holm")
    assert path is not None and path.stat().st_size > 1000
    assert save_difference_plot([], tmp_path / "none", ci_level=0.95, adjustment="holm") is None
