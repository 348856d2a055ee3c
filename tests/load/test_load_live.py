"""Live locust runs: distributed workers, abort_on_fail, shapes, Ctrl-C."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType

from harness.load.abort import AbortWatch
from harness.load.outcome import read_run_stats
from harness.load.runner import LocustRun, run_locust
from harness.load.shape import parse_shape, write_shape
from harness.thresholds import parse_threshold
from tests.load.conftest import FAILING_LOCUSTFILE, LOCUSTFILE


def make_run(
    tmp_path: Path, host: str, source: str = LOCUSTFILE, **extra: object
) -> LocustRun:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(source)
    settings: dict[str, object] = {"users": 4, "spawn_rate": 4, "duration": 3, **extra}
    return LocustRun(
        locustfile=locustfile,
        host=host,
        csv_prefix=tmp_path / "out" / "run",
        html=tmp_path / "out" / "run.html",
        cwd=tmp_path,
        **settings,  # type: ignore[arg-type]
    )


def test_two_local_workers_report_aggregated_stats_through_the_master(
    tmp_path: Path, endpoint: str
) -> None:
    run = make_run(tmp_path, endpoint, workers=2)

    outcome = run_locust(run)
    stats, source = read_run_stats(run)

    assert outcome.returncode == 0, outcome.stderr_tail()
    assert source == "json"
    assert stats["GET /products"].requests > 100
    assert "2 workers" in outcome.stderr or "(2 total" in outcome.stderr
    for index in range(2):
        assert run.worker_log(index).exists()
    assert "--master-bind-host" in run.command(5557)


def test_abort_on_fail_stops_the_run_early_with_stats_written(
    tmp_path: Path, endpoint: str
) -> None:
    run = make_run(tmp_path, endpoint, FAILING_LOCUSTFILE, duration=40)
    threshold = parse_threshold("error_rate < 1% abort_on_fail delay=2s")
    watch = AbortWatch([threshold], run.csv_prefix, min_samples=20)

    started = time.monotonic()
    outcome = run_locust(run, watch)

    assert time.monotonic() - started < 20
    assert outcome.aborted.startswith("aborted after")
    assert run.json_file.exists()
    assert watch.verdict is not None and watch.verdict.measured == 1.0
    stats, _ = read_run_stats(run)
    assert stats["Aggregated"].failures > 0


def test_shaped_run_ends_with_its_shape_not_the_stage_duration(
    tmp_path: Path, endpoint: str
) -> None:
    shape_file, env = write_shape(tmp_path / "out", parse_shape("2s:4,2s:0"))
    run = make_run(tmp_path, endpoint, duration=4, shape_file=shape_file, env=env)

    started = time.monotonic()
    outcome = run_locust(run)

    assert outcome.returncode == 0, outcome.stderr_tail()
    assert time.monotonic() - started < 15
    assert "Shape test completed" in outcome.stderr or "shape" in outcome.stderr


def test_ctrl_c_during_a_shaped_run_still_writes_the_stats(
    tmp_path: Path, endpoint: str
) -> None:
    shape_file, env = write_shape(tmp_path / "out", parse_shape("1s:4,30s:4"))
    run = make_run(tmp_path, endpoint, duration=30, shape_file=shape_file, env=env)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 3.0)
    try:
        outcome = run_locust(run)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    assert outcome.interrupted
    assert outcome.seconds < 20
