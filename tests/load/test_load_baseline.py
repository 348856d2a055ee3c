"""Regression thresholds against the last passing runs."""

from __future__ import annotations

from pathlib import Path

from harness.load.baseline import find_baselines
from harness.load.gate import evaluate
from harness.load.stats import RequestStats
from harness.thresholds import parse_threshold
from tests.load.test_load_outcome import write_run


def aggregate(p95: float, rps: float = 50.0) -> dict[str, RequestStats]:
    entry = RequestStats("", "Aggregated", 500, 0, 10.0, 10.0, 1.0, 900.0, rps, 0.0,
                         {"95%": p95})  # fmt: skip
    return {"Aggregated": entry}


def test_regression_beyond_the_limit_fails_showing_both_numbers() -> None:
    threshold = parse_threshold("p95 regresses < 10%")

    (verdict,) = evaluate(
        [threshold], aggregate(130.0), baselines={"p95 Aggregated": 100.0}
    )

    assert not verdict.passed
    assert verdict.baseline == 100.0
    assert str(verdict) == (
        "p95 regresses < 10%: measured 130ms, baseline 100ms (+30% worse) — FAILED"
    )
    assert verdict.to_dict()["baseline_text"] == "100ms"


def test_change_below_the_noise_floor_is_ignored() -> None:
    # +40% but only 4ms: under the default 5ms slack.
    threshold = parse_threshold("p95 regresses < 10%")

    (verdict,) = evaluate(
        [threshold], aggregate(14.0), baselines={"p95 Aggregated": 10.0}
    )

    assert verdict.passed


def test_throughput_regresses_when_it_drops() -> None:
    threshold = parse_threshold("rps regresses < 10% slack=1")
    baselines = {"rps Aggregated": 100.0}

    (dropped,) = evaluate([threshold], aggregate(50.0, rps=80.0), baselines=baselines)
    (rose,) = evaluate([threshold], aggregate(50.0, rps=150.0), baselines=baselines)

    assert not dropped.passed
    assert rose.passed


def test_first_run_without_a_baseline_passes_and_says_why() -> None:
    (verdict,) = evaluate([parse_threshold("p95 regresses < 10%")], aggregate(100.0))

    assert verdict.passed
    assert verdict.outcome == "no baseline"
    assert "no baseline yet" in str(verdict)


def test_baseline_is_the_median_of_the_last_three_passing_runs(tmp_path: Path) -> None:
    for index, p95 in enumerate([500.0, 100.0, 120.0, 300.0]):
        write_run(tmp_path / str(index), "passed", started=index, p95=p95)

    found = find_baselines(
        tmp_path, "ci", "load", [parse_threshold("p95 regresses < 5%")]
    )

    assert found == {"p95 Aggregated": 120.0}  # median of 100, 120, 300


def test_other_pipelines_and_stages_are_not_a_baseline(tmp_path: Path) -> None:
    write_run(tmp_path / "a", "passed", started=1, p95=100.0)
    thresholds = [parse_threshold("p95 regresses < 5%")]

    assert find_baselines(tmp_path, "nightly", "load", thresholds) == {}
    assert find_baselines(tmp_path, "ci", "soak", thresholds) == {}
    assert find_baselines(tmp_path / "missing", "ci", "load", thresholds) == {}
