"""Judging recorded locust runs: passed, failed, aborted, invalid, no data."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.load.gate import MIN_SAMPLES
from harness.load.options import LoadOptions
from harness.load.outcome import judge_run
from harness.load.runner import LocustOutcome, LocustRun
from harness.thresholds import parse_threshold

DATA = Path(__file__).parent / "data"
CPU_WARNING = (
    "[2026-12-04 15:49:17,343] vm/WARNING/root: CPU usage above 90%! This may "
    "constrain your throughput and may even give inconsistent response time "
    "measurements! See https://docs.locust.io/en/stable/running-distributed.html"
)


def recorded_run(tmp_path: Path, *, final: bool = True) -> LocustRun:
    for name in ("shop_stats.csv", "shop_stats_history.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    if final:
        shutil.copy(DATA / "shop_final.json", tmp_path / "shop_final.json")
    return LocustRun(
        locustfile=tmp_path / "locustfile.py",
        host="http://127.0.0.1:9",
        users=4,
        spawn_rate=4,
        duration=3,
        csv_prefix=tmp_path / "shop",
        html=tmp_path / "shop.html",
    )


def options(*thresholds: str, **changes: object) -> LoadOptions:
    base = LoadOptions(
        patterns=("locustfile*.py",),
        users=4,
        spawn_rate=4,
        duration=3,
        target="storefront",
        thresholds=tuple(parse_threshold(t) for t in thresholds),
        results=None,
        directory=None,
        min_samples=MIN_SAMPLES,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def ended(stderr: str = "", code: int = 0, aborted: str = "") -> LocustOutcome:
    return LocustOutcome(code, 3.0, "", stderr, aborted=aborted)


def test_passing_run_reads_the_final_json_and_passes(tmp_path: Path) -> None:
    figures = judge_run(
        recorded_run(tmp_path), ended(), options("p95[/products] < 100ms", "rps > 50")
    )

    assert figures.stats_source == "json"
    assert figures.status == "passed"
    assert figures.failure("locustfile.py", "storefront", "h") == ""


def test_without_the_final_json_the_csv_snapshot_is_judged(tmp_path: Path) -> None:
    figures = judge_run(recorded_run(tmp_path, final=False), ended(), options())

    assert figures.stats_source == "csv"
    assert figures.stats["Aggregated"].requests == 163


def test_failing_run_names_each_failed_threshold(tmp_path: Path) -> None:
    figures = judge_run(
        recorded_run(tmp_path), ended(), options("error_rate < 1%", "p95 < 300ms")
    )

    assert figures.status == "failed"
    message = figures.failure("locustfile.py", "storefront", "http://h")
    assert message.splitlines() == [
        "load gate failed: locustfile.py against storefront (http://h)",
        "  error_rate < 1%: measured 7.76% — FAILED",
        "  p95 < 300ms: measured 45ms — passed",
    ]


def test_too_few_samples_fail_closed_with_their_own_message(tmp_path: Path) -> None:
    figures = judge_run(
        recorded_run(tmp_path), ended(), options("p95[/checkout] < 300ms")
    )

    (verdict,) = figures.verdicts
    assert figures.status == "failed"
    assert verdict.outcome == "too few samples"
    assert str(verdict) == (
        "p95[/checkout] < 300ms: too few samples: 18 requests to GET /checkout, "
        "need at least 100 (min_samples) — FAILED"
    )


def test_per_threshold_min_samples_overrides_the_stage_default(
    tmp_path: Path,
) -> None:
    figures = judge_run(
        recorded_run(tmp_path),
        ended(),
        options("p95[/checkout] < 300ms min_samples=10"),
    )

    assert figures.status == "passed"


def test_no_data_run_fails_closed(tmp_path: Path) -> None:
    run = recorded_run(tmp_path)
    run.json_file.write_text("[]")

    figures = judge_run(run, ended(), options("p95 < 300ms"))

    assert figures.status == "failed"
    message = figures.failure("locustfile.py", "storefront", "h")
    assert "locust made no requests" in message
    assert "p95 < 300ms: no data: Aggregated made no requests — FAILED" in message


def test_saturated_generator_makes_the_run_invalid_not_passed(
    tmp_path: Path,
) -> None:
    figures = judge_run(recorded_run(tmp_path), ended(CPU_WARNING), options("rps > 1"))

    assert figures.verdicts[0].passed
    assert figures.status == "invalid"
    assert "load generator's CPU was saturated" in figures.failure("f", "t", "h")
    assert figures.to_dict()["valid"] is False


def test_run_under_90_percent_of_its_target_rate_is_invalid(tmp_path: Path) -> None:
    slow = judge_run(recorded_run(tmp_path), ended(), options(target_rps=100.0))
    fine = judge_run(recorded_run(tmp_path), ended(), options(target_rps=90.0))

    assert slow.status == "invalid"
    assert "reached 82.3 rps, under 90% of the target rate 100 rps" in slow.invalid[0]
    assert fine.invalid == []


def test_worker_that_never_connected_makes_the_run_invalid(tmp_path: Path) -> None:
    output = (
        "Waiting for workers to be ready, 1 of 2 connected\n"
        "Gave up waiting for workers to connect\n"
    )
    run = LocustRun(
        tmp_path / "l.py", "h", 1, 1, 1, tmp_path / "none", tmp_path / "n.html"
    )

    figures = judge_run(run, ended(output, code=1), options(workers=2))

    assert figures.status == "invalid"
    assert figures.invalid == [
        "expected 2 locust workers, only 1 connected — see the worker logs beside "
        "the CSV files"
    ]


def test_aborted_run_fails_with_the_abort_reason_first(tmp_path: Path) -> None:
    figures = judge_run(
        recorded_run(tmp_path),
        ended(aborted="aborted after 4s: error_rate < 1% abort_on_fail: ..."),
        options("error_rate < 1% abort_on_fail"),
    )

    assert figures.status == "aborted"
    first = figures.failure("locustfile.py", "t", "h").splitlines()[0]
    assert first.startswith("load run aborted after 4s: error_rate < 1%")


def test_locust_crash_is_reported_in_its_own_words(tmp_path: Path) -> None:
    figures = judge_run(
        recorded_run(tmp_path), ended("Traceback\nImportError: no", code=2), options()
    )

    assert figures.status == "error"
    assert "locust exited with code 2" in figures.failure("l.py", "t", "h")


def test_results_record_has_status_validity_and_verdicts(tmp_path: Path) -> None:
    figures = judge_run(recorded_run(tmp_path), ended(), options("rps > 50"))

    record = json.loads(json.dumps(figures.to_dict()))

    assert record["status"] == "passed"
    assert record["valid"] is True
    assert record["verdicts"][0]["measured_text"] == "82.31"
    assert record["stats_history"].endswith("shop_stats_history.csv")


@pytest.mark.parametrize("status", ["failed", "interrupted"])
def test_baseline_comes_only_from_passing_runs(tmp_path: Path, status: str) -> None:
    from harness.load.baseline import find_baselines

    history = tmp_path / "runs"
    write_run(history / "a", "passed", started=1, p95=100.0)
    write_run(history / "b", status, started=2, p95=1000.0)

    found = find_baselines(
        history, "ci", "load", [parse_threshold("p95 regresses < 10%")]
    )

    assert found == {"p95 Aggregated": 100.0}


def write_run(folder: Path, status: str, *, started: float, p95: float) -> None:
    folder.mkdir(parents=True)
    stats = {
        "Aggregated": {
            "method": "",
            "name": "Aggregated",
            "requests": 500,
            "failures": 0,
            "rps": 50.0,
            "percentiles": {"95%": p95},
        }
    }
    record = {
        "pipeline": "ci",
        "status": status,
        "started": started,
        "stages": [{"name": "load", "figures": {"stats": stats, "valid": True}}],
    }
    (folder / "results.json").write_text(json.dumps(record))
