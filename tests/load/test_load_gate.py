"""Judging load statistics against SLO thresholds."""

from __future__ import annotations

import pytest

from harness.load.gate import Verdict, evaluate
from harness.load.stats import RequestStats
from harness.thresholds import parse_threshold

PERCENTILES = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%")


def entry(
    method: str,
    name: str,
    requests: int,
    failures: int = 0,
    p95: float = 250.0,
    rps: float = 60.0,
) -> RequestStats:
    times = {title: None for title in PERCENTILES} if not requests else {
        **{title: 100.0 for title in PERCENTILES},
        "95%": p95,
        "99.9%": p95 * 2,
    }  # fmt: skip
    return RequestStats(
        method=method,
        name=name,
        requests=requests,
        failures=failures,
        median=90.0 if requests else None,
        avg=120.5 if requests else None,
        min=8.0 if requests else None,
        max=900.0 if requests else None,
        rps=rps,
        failures_per_s=0.0,
        percentiles=times,
    )


def stats(*entries: RequestStats) -> dict[str, RequestStats]:
    return {e.key: e for e in entries}


def judge(text: str, data: dict[str, RequestStats]) -> Verdict:
    (verdict,) = evaluate([parse_threshold(text)], data)
    return verdict


@pytest.fixture
def run() -> dict[str, RequestStats]:
    return stats(
        entry("GET", "/shop/products", 1000, p95=200.0, rps=50.0),
        entry("POST", "/shop/checkout", 200, failures=10, p95=412.0, rps=10.0),
        entry("GET", "/shop/orders/{id}", 0),
        entry("", "Aggregated", 1200, failures=10, p95=300.0, rps=60.0),
    )


def test_threshold_met_passes_with_the_measured_value(run: dict) -> None:
    verdict = judge("p95 < 350ms", run)

    assert verdict.passed
    assert verdict.measured == 300.0
    assert verdict.limit == 350.0
    assert str(verdict) == "p95 < 350ms: measured 300ms — passed"


def test_threshold_missed_fails_and_says_so(run: dict) -> None:
    verdict = judge("p95[POST /shop/checkout] < 300ms", run)

    assert not verdict.passed
    assert verdict.measured == 412.0
    assert str(verdict) == "p95[POST /shop/checkout] < 300ms: measured 412ms — FAILED"


def test_percentile_with_a_fraction_reads_its_own_column(run: dict) -> None:
    assert judge("p99.9 < 1s", run).measured == 600.0


@pytest.mark.parametrize(
    ("text", "measured"),
    [
        ("avg < 200ms", 120.5),
        ("min < 10ms", 8.0),
        ("max < 1s", 900.0),
        ("median < 100ms", 90.0),
        ("rps > 50", 60.0),
    ],
)
def test_each_metric_reads_its_figure(run: dict, text: str, measured: float) -> None:
    verdict = judge(text, run)

    assert verdict.measured == measured
    assert verdict.passed


def test_error_rate_is_failures_over_requests(run: dict) -> None:
    verdict = judge("error_rate[POST /shop/checkout] < 1%", run)

    assert verdict.measured == pytest.approx(0.05)
    assert not verdict.passed
    assert str(verdict) == (
        "error_rate[POST /shop/checkout] < 1%: measured 5% — FAILED"
    )


def test_throughput_below_the_floor_fails(run: dict) -> None:
    verdict = judge("rps[POST /shop/checkout] > 50", run)

    assert not verdict.passed
    assert str(verdict) == "rps[POST /shop/checkout] > 50: measured 10 — FAILED"


def test_request_named_without_its_method_is_found_when_unambiguous(
    run: dict,
) -> None:
    assert judge("p95[/shop/products] < 250ms", run).measured == 200.0


def test_request_with_zero_requests_fails_with_no_data(run: dict) -> None:
    verdict = judge("p95[GET /shop/orders/{id}] < 300ms", run)

    assert not verdict.passed
    assert verdict.measured is None
    assert verdict.reason == "no data: GET /shop/orders/{id} made no requests"
    assert str(verdict).endswith("made no requests — FAILED")


def test_error_rate_without_requests_fails_rather_than_passing() -> None:
    verdict = judge("error_rate < 1%", stats(entry("", "Aggregated", 0)))

    assert not verdict.passed
    assert verdict.reason.startswith("no data")


def test_unknown_request_name_fails_listing_what_was_seen(run: dict) -> None:
    verdict = judge("p95[GET /nowhere] < 300ms", run)

    assert not verdict.passed
    assert "no request named 'GET /nowhere'" in verdict.reason
    assert "POST /shop/checkout" in verdict.reason


def test_percentile_locust_does_not_report_fails_naming_it(run: dict) -> None:
    verdict = judge("p97 < 1s", run)

    assert not verdict.passed
    assert "locust reports no 97% percentile" in verdict.reason


def test_verdicts_keep_the_order_of_the_thresholds(run: dict) -> None:
    texts = ["rps > 50", "p95 < 300ms", "error_rate < 1%"]

    verdicts = evaluate([parse_threshold(t) for t in texts], run)

    assert [v.threshold.text for v in verdicts] == texts
    assert [v.passed for v in verdicts] == [True, False, True]


def test_verdict_dict_has_the_results_fields(run: dict) -> None:
    assert judge("p95 < 250ms", run).to_dict() == {
        "threshold": "p95 < 250ms",
        "measured": 300.0,
        "limit": 250.0,
        "passed": False,
        "reason": "",
        "request": "Aggregated",
        "metric": "p95",
        "status": "failed",
        "samples": 1200,
        "baseline": None,
        "measured_text": "300ms",
        "limit_text": "< 250ms",
        "baseline_text": "",
    }
