"""Parsing threshold expressions: every kind, its units and its options."""

from __future__ import annotations

import pytest

from harness.thresholds import ThresholdSyntaxError, parse_threshold


@pytest.mark.parametrize(
    ("text", "metric", "name", "op", "limit"),
    [
        ("p50 < 100ms", "p50", "Aggregated", "<", 100.0),
        ("p99.9[GET /orders] <= 1.5s", "p99.9", "GET /orders", "<=", 1500.0),
        ("p100 < 2s", "p100", "Aggregated", "<", 2000.0),
        ("avg < 120ms", "avg", "Aggregated", "<", 120.0),
        ("max[/shop/products] < 1s", "max", "/shop/products", "<", 1000.0),
        ("error_rate < 1%", "error_rate", "Aggregated", "<", 0.01),
        ("error_rate[POST /x] <= 0.05", "error_rate", "POST /x", "<=", 0.05),
        ("rps >= 50", "rps", "Aggregated", ">=", 50.0),
    ],
)
def test_each_metric_parses_to_its_units(
    text: str, metric: str, name: str, op: str, limit: float
) -> None:
    threshold = parse_threshold(text)

    assert (threshold.metric, threshold.request, threshold.op) == (metric, name, op)
    assert threshold.limit == pytest.approx(limit)
    assert not threshold.relative


def test_regression_threshold_is_relative_with_a_default_noise_floor() -> None:
    threshold = parse_threshold("p95 regresses < 10%")

    assert threshold.relative
    assert threshold.limit == pytest.approx(0.10)
    assert threshold.slack == 5.0  # ms


def test_options_set_abort_delay_samples_and_slack() -> None:
    aborting = parse_threshold("error_rate < 5% abort_on_fail delay=10s min_samples=20")
    relative = parse_threshold("rps regresses < 5% slack=3")

    assert aborting.abort_on_fail
    assert aborting.abort_delay == 10.0
    assert aborting.min_samples == 20
    assert relative.slack == 3.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p95 << 300ms", "is not a threshold"),
        ("p95 < 300", "p95 needs a unit, ms or s"),
        ("p0 < 3ms", "a percentile lies between 0 and 100"),
        ("rps > 5%", "rps takes a plain number"),
        ("latency < 3ms", "unknown metric 'latency'"),
        ("p95 regresses > 10%", "a regression is bounded from above"),
        ("p95 regresses < 10ms", "a regression is a percentage"),
        ("p95 < 3ms delay=2s", "delay= only goes with abort_on_fail"),
        ("p95 < 3ms fast", "unknown or malformed option 'fast'"),
        ("p95 < 3ms min_samples=0", "unknown or malformed option 'min_samples=0'"),
        ("p95 < 3ms slack=2ms", "unknown or malformed option 'slack=2ms'"),
        ("rps regresses < 5% slack=2ms", "slack=2ms does not fit the metric"),
        ("p95 regresses < 5% abort_on_fail", "abort_on_fail needs an absolute"),
    ],
)
def test_malformed_expression_is_one_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(ThresholdSyntaxError) as error:
        parse_threshold(text)

    assert str(error.value).startswith(repr(text))
    assert message in str(error.value)
