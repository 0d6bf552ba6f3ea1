"""Active labelling: where the next oracle labels go, and the file the oracle step reads."""

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

import analyze_dataset
from cje.analysis import AnalysisSettings, analyze
from cje.labelling.allocation import RegionWeights, greedy_allocation, random_allocation
from cje.labelling.requests import requested_prompts
from cje.labelling.suggest import suggest_labels
from cje.world import write_simulated_dataset


def test_greedy_allocation_follows_the_square_root_of_the_weights():
    weights = RegionWeights(np.zeros(2), np.array([4.0, 1.0, 0.0]), np.zeros(3), np.array([1000, 1000, 1000]))
    added = greedy_allocation(weights, 300)
    assert added.sum() == 300 and added[2] == 0
    assert added[0] / added[1] == pytest.approx(2.0, rel=0.05)  # sqrt(4 / 1)
    capped = greedy_allocation(replace(weights, available=np.array([10, 1000, 1000])), 300)
    assert capped[0] == 10 and capped.sum() == 300
    np.testing.assert_allclose(random_allocation(weights, 30), [10, 10, 10])


@pytest.fixture(scope="module")
def partly_labelled(small_sim):
    """The small simulated dataset with a fifth of the logged rows labelled."""
    logged = small_sim.dataset.logged
    keep = np.random.default_rng(0).random(logged.n) < 0.2
    dataset = replace(small_sim.dataset, logged=replace(logged, oracle_label=np.where(keep, logged.oracle_label,
                                                                                      np.nan)))
    return dataset, analyze(dataset, AnalysisSettings(estimators=("direct",)))


def test_suggestions_are_unlabelled_distinct_and_reproducible(partly_labelled):
    dataset, result = partly_labelled
    first = suggest_labels(result, dataset, 25, estimator="direct", seed=1)
    again = suggest_labels(result, dataset, 25, estimator="direct", seed=1)
    assert first == again and len(first.logged) == 25
    ids = [s.prompt_id for s in first.logged]
    labelled = set(dataset.logged.prompt_id[dataset.logged.label_available])
    assert len(set(ids)) == 25 and not set(ids) & labelled
    assert all(s.policy == "base" and s.kind == "logged" for s in first.logged)
    assert first.variance_after < first.variance_now
    # the default world's targets write where the logger does: a random sample is suggested, and said so
    assert not first.targeted and any("random sample" in note for note in first.notes)
    assert any("unhelpful" in note for note in first.notes)  # its transport failed: logged labels cannot help
    for probe in first.probes:
        assert result.policies[probe.policy].transport.audit in ("inconclusive", "not-checked")


def test_probes_come_first_when_they_share_the_budget(partly_labelled):
    dataset, result = partly_labelled
    fresh = {p: replace(f, oracle_label=f.oracle_label * np.nan) for p, f in dataset.fresh.items()}
    unprobed = replace(dataset, fresh=fresh)
    shared = suggest_labels(analyze(unprobed, AnalysisSettings(estimators=("direct",))), unprobed, 5,
                            estimator="direct", probes_within_k=True)
    assert len(shared.logged) + len(shared.probes) <= 5


def test_the_cli_writes_a_file_the_oracle_step_reads(partly_labelled, tmp_path):
    from cje.world import simulate_dataset

    write_simulated_dataset(simulate_dataset(300, seed=9, oracle_fraction=0.3), tmp_path)
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(tmp_path / "cje_dataset.jsonl"), "--estimator", "direct", "--no-plots", "--quiet",
        "--suggest-labels", "12"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "label_suggestions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert sum(r["kind"] == "logged" for r in rows) == 12
    assert len(requested_prompts(path, "base")) == 12
    assert "--only" in result.output


def test_targeted_labels_where_the_targets_write_and_the_logger_rarely_does():
    from cje.world import simulate_dataset
    from cje.world.config import WorldConfig, default_behaviours

    behaviours = tuple(replace(b, quality_slope=-1.0) if b.name in ("base", "clone") else b
                       for b in default_behaviours())
    sim = simulate_dataset(800, seed=4, config=WorldConfig(behaviours=behaviours), oracle_fraction=0.05)
    result = analyze(sim.dataset, AnalysisSettings(estimators=("direct",)))
    suggestions = suggest_labels(result, sim.dataset, 40, estimator="direct")
    assert suggestions.targeted and suggestions.predicted_gain_over_random > 0.15
    suggested = np.mean([s.judge_score for s in suggestions.logged])
    unlabelled = sim.dataset.logged.judge_score[~sim.dataset.logged.label_available].mean()
    assert suggested > unlabelled + 0.05  # towards the high scores the better targets write
