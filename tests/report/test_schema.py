"""The results contract: the committed schema is current, documents every
code, and every document the project writes validates against it."""

import json

import jsonschema
import pytest

from cje.coverage_sweep import sweep
from cje.diagnostics.reasons import ReasonCode
from cje.report.best import BestPolicyCode
from cje.report.schema import SCHEMA_PATH, load_schema, schema_text
from cje.results import analyze


def validator():
    return jsonschema.Draft202012Validator(load_schema(),
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_the_committed_schema_is_what_the_code_generates():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), \
        "results.schema.json is stale: run python -m cje.report.schema"
    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_every_code_is_documented():
    definitions = load_schema()["$defs"]
    reason_codes = {option["const"]: option["description"] for option in definitions["reason_code"]["oneOf"]}
    assert set(reason_codes) == {str(code) for code in ReasonCode}
    assert all(reason_codes.values())
    best_codes = {option["const"] for option in definitions["best_policy_code"]["oneOf"]}
    assert best_codes == {str(code) for code in BestPolicyCode}


@pytest.fixture(scope="module")
def everything(small_sim):
    return analyze(small_sim.dataset, estimators="all", oracle_coverage=0.3, truth=small_sim.truth)


def test_an_analysis_document_validates_and_reads_as_a_program_wants(everything):
    document = json.loads(json.dumps(everything.to_json(), allow_nan=False))
    validator().validate(document)
    assert document["best_policy"] is None or isinstance(document["best_policy"], str)
    assert document["best_policy_reason"]["code"] in {str(c) for c in BestPolicyCode}
    assert document["headline_estimator"] == everything.headline_estimator
    assert document["command_line"] is None and document["inputs"]["kind"] == "memory"
    statuses = {e["status"] for p in document["policies"].values() for e in p["estimates"].values()}
    assert statuses <= {"ok", "warn", "refuse"}
    for policy in document["policies"].values():
        for reason in policy["reasons"]:
            assert set(reason) == {"code", "message", "estimators"} and reason["estimators"]
            for estimator in reason["estimators"]:
                assert reason["code"] in policy["estimates"][estimator]["reason_codes"]


def test_a_document_with_a_failed_estimator_and_no_weights_validates(small_sim):
    # Labels so few that no rewards can be formed: every estimate needing them fails.
    result = analyze(small_sim.dataset, estimators="naive-direct,direct,dr-cpo", oracle_coverage=0.01)
    document = result.to_json()
    validator().validate(document)
    assert document["rewards"] is None and document["rewards_error"]
    failed = document["policies"]["clone"]["estimates"]["direct"]
    assert failed["estimate"] is None and failed["status"] == "refuse" and failed["error"]
    assert failed["reason_codes"] == ["not-computed"]


def test_a_sweep_document_validates(small_sim):
    result = sweep(small_sim.dataset, [0.1, 1.0], estimators="direct")
    validator().validate(result.to_json())


def test_an_extra_field_breaks_the_contract(everything):
    document = everything.to_json()
    document["policies"]["clone"]["estimate"] = 0.5  # an implicit 'primary' number
    assert not validator().is_valid(document)


def test_a_document_with_a_self_check_validates(small_sim):
    checked = analyze(small_sim.dataset, estimators="direct", oracle_coverage=0.3).self_check(5)
    document = checked.to_json()
    validator().validate(document)
    cells = document["self_check"]["cells"]
    assert {c["policy"] for c in cells} == set(small_sim.dataset.fresh)
    assert document["self_check"]["n_replays"] == 5 and document["schema_version"] == "1.1"
    assert document["self_check"]["planted"]["unhelpful"]["shift"] < 0


def test_a_two_stage_run_with_paired_comparisons_validates():
    from cje.world import simulate_dataset
    from cje.world.lengths import length_biased_world

    sim = simulate_dataset(400, seed=3, config=length_biased_world(), fresh_oracle_fraction=0.05)
    document = analyze(sim.dataset, estimators="direct,stacked-dr", oracle_coverage=0.3,
                       calibration_covariates=("response_length",), calibration="two-stage").to_json()
    validator().validate(document)
    assert document["rewards"]["calibrator"]["kind"] == "two-stage"
    assert document["rewards"]["calibration"]["method"] == "two-stage"
    assert document["settings"]["calibration_covariates"] == ["response_length"]
    assert document["best_policy_reason"]["method"] == "paired-tests-holm"
    stacked = next(c for c in document["comparisons"] if c["estimator"] == "stacked-dr")
    assert stacked["pairs"] and all({"first", "second", "p_adjusted"} <= set(p) for p in stacked["pairs"])
