"""The one-file HTML report, opened in a real headless Chromium: no console
error, no network request, and a screenshot of the whole page."""

import pytest

from cje.coverage_sweep import sweep
from cje.results import analyze

from .headless import file_url, find_chromium, visit

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")


def offline(urls):
    """Requests that would leave the machine (everything but the page itself and inline data)."""
    return [u for u in urls if not u.startswith(("file:", "data:", "about:"))]


@pytest.fixture(scope="module")
def report(small_sim, tmp_path_factory):
    result = analyze(small_sim.dataset, estimators="direct,calibrated-ips,dr-cpo", oracle_coverage=0.3,
                     truth=small_sim.truth)
    path = tmp_path_factory.mktemp("report") / "report.html"
    result.write_report(path)
    return path


def test_the_report_holds_every_section_and_no_external_reference(report):
    page = report.read_text(encoding="utf-8")
    for heading in ("Verdict", "Estimates", "Estimates at a glance", "Does the judge calibration hold",
                    "Calibration", "Importance weights", "Data", "Settings and provenance"):
        assert f"<h2>{heading}" in page
    assert page.count("data:image/png;base64,") == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page


@needs_chromium
def test_the_harness_sees_console_errors_and_requests(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><html><body><script>console.error("boom")</script>'
                   '<img src="http://example.invalid/x.png"></body></html>')
    seen = visit(file_url(bad), binary=CHROMIUM)
    assert "boom" in seen.console_errors
    assert offline(seen.requests) == ["http://example.invalid/x.png"]


@needs_chromium
def test_the_report_opens_in_chromium_without_errors_or_network(report):
    seen = visit(file_url(report), binary=CHROMIUM)
    assert seen.loaded and not seen.console_errors and not seen.exceptions and not seen.failed_loads
    assert offline(seen.requests) == []
    assert seen.screenshot.startswith(b"\x89PNG") and len(seen.screenshot) > 100_000
    report.with_suffix(".png").write_bytes(seen.screenshot)  # to look at: pytest --basetemp=DIR keeps it


@needs_chromium
def test_the_sweep_report_opens_too(small_sim, tmp_path):
    path = tmp_path / "sweep.html"
    sweep(small_sim.dataset, [0.2, 1.0], estimators="direct", truth=small_sim.truth).write_report(path)
    seen = visit(file_url(path), binary=CHROMIUM)
    assert seen.loaded and not seen.console_errors and offline(seen.requests) == []
