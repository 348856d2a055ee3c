"""Running one stage: a pytest session for a layer, or the deploy action."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.environments.base import Deployment
from harness.load.gate import format_value
from harness.load.options import stage_arguments
from harness.model import Stage
from harness.report.junit import UnreadableResultsError, read_junit
from harness.run import FAILED, PASSED, StageResult, TestCounts
from harness.thresholds import parse_threshold

log = logging.getLogger(__name__)

# pytest's exit codes that mean the session ran to its end: all passed,
# some failed, no tests collected. Anything else is a crash or a usage error.
_COMPLETED = {0, 1, 5}


class ProcessRegistry:
    """The stage subprocesses alive now, so an interrupt can stop them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self.cancelled = threading.Event()

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes[process.pid] = process

    def remove(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.pop(process.pid, None)

    def stop_all(self) -> None:
        """SIGINT each stage's process group, so its own teardown runs."""
        self.cancelled.set()
        with self._lock:
            processes = list(self._processes.values())
        for process in processes:
            _signal_group(process, signal.SIGINT)
        deadline = time.monotonic() + 15.0
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def pytest_command(
    stage: Stage,
    run_dir: Path,
    root: Path,
    deployment: Deployment | None,
    pipeline: str = "",
    junit: Path | None = None,
) -> list[str]:
    """The pytest session a test stage runs, selecting its layer."""
    assert stage.layer is not None
    junit = junit or run_dir / "junit" / f"{stage.name}.xml"
    paths = [p for p in _paths(stage) if (root / p.split("::")[0]).exists()]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        stage.layer.value,
        *paths,
        f"--junitxml={junit}",
        "-p",
        "no:cacheprovider",
        f"--rootdir={root}",
        "-o",
        f"junit_suite_name={stage.name}",
    ]
    if deployment is not None and stage.layer.needs_environment:
        command.append(f"--environment={run_dir / 'environment.json'}")
    if stage.gate.coverage is not None:
        report = run_dir / "coverage" / f"{stage.name}.json"
        command += [f"--cov={path}" for path in stage.gate.cover]
        command += [f"--cov-report=json:{report}"]
    if stage.load is not None:
        load = stage.load
        command += [
            f"--load-users={load.users}",
            f"--load-spawn-rate={load.spawn_rate:g}",
            f"--load-duration={load.duration:g}s",
            f"--load-target={load.target}",
            f"--load-results={run_dir / 'load' / 'results.json'}",
            f"--load-dir={run_dir / 'load'}",
        ]
        command += stage_arguments(
            stage.thresholds,
            run_dir,
            pipeline=pipeline,
            min_samples=load.min_samples,
            target_rps=load.target_rps,
            workers=load.workers,
            shape=load.shape,
        )
    return command + list(stage.pytest_args)


def _paths(stage: Stage) -> list[str]:
    assert stage.layer is not None
    return list(stage.paths) or [f"suites/{stage.layer.value}"]


def _no_tests(stage: Stage, result: StageResult) -> StageResult:
    if stage.allow_empty:
        result.status = PASSED
        result.reason = "no tests (allow_empty)"
        result.tests = TestCounts()
    else:
        result.reason = "selected no tests — add tests or set allow_empty: true"
    return result


def run_test_stage(
    stage: Stage,
    run_dir: Path,
    root: Path,
    deployment: Deployment | None,
    processes: ProcessRegistry,
    pipeline: str = "",
) -> StageResult:
    """Run a layer's pytest session and decide its gate, failing closed."""
    assert stage.layer is not None
    result = StageResult(stage.name, FAILED, layer=stage.layer.value)
    log_path = run_dir / "stages" / f"{stage.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    (run_dir / "junit").mkdir(exist_ok=True)
    result.log = str(log_path.relative_to(run_dir))
    junit = run_dir / "junit" / f"{stage.name}.xml"
    result.junit = str(junit.relative_to(run_dir))
    if not any((root / path).exists() for path in _paths(stage)):
        return _no_tests(stage, result)
    command = pytest_command(stage, run_dir, root, deployment, pipeline)
    failed_file = run_dir / "stages" / f"{stage.name}.failed.json"
    env = {
        **os.environ,
        "CDH_RUN_DIR": str(run_dir),
        "CDH_STAGE": stage.name,
        "CDH_FAILED_FILE": str(failed_file),
        # pytest-cov's data file goes with the run, not into the repository.
        "COVERAGE_FILE": str(run_dir / "coverage" / f".coverage.{stage.name}"),
    }

    code = _session(stage, command, root, env, log_path, processes)
    if code is None:
        result.reason = f"timed out after {stage.timeout:g}s"
        return result
    if processes.cancelled.is_set():
        result.reason = "interrupted"
        if stage.load is not None:
            _attach_load_figures(result, run_dir)
        return result
    result = _decide(stage, result, code, junit, run_dir)
    if stage.gate.reruns and result.tests and result.tests.failures and not stage.load:

        def rerun_command(failed: list[str], attempt: int) -> list[str]:
            again = dataclasses.replace(stage, paths=tuple(failed))
            junit = run_dir / "junit" / f"{stage.name}.rerun-{attempt}.xml"
            return pytest_command(again, run_dir, root, deployment, pipeline, junit)

        result = _rerun(stage, result, rerun_command, root, env, log_path, processes)
    return result


def _session(
    stage: Stage,
    command: list[str],
    root: Path,
    env: dict[str, str],
    log_path: Path,
    processes: ProcessRegistry,
) -> int | None:
    """One pytest session, its output appended to the stage's log.

    Returns:
        pytest's exit code, or None when the stage's timeout ran out.
    """
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.add(process)
        log.info("stage %s: pytest pid=%s", stage.name, process.pid)
        try:
            return process.wait(timeout=stage.timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
            return None
        finally:
            processes.remove(process)


def _rerun(
    stage: Stage,
    result: StageResult,
    command: Callable[[list[str], int], list[str]],
    root: Path,
    env: dict[str, str],
    log_path: Path,
    processes: ProcessRegistry,
) -> StageResult:
    """Run the failed tests again (gate: {reruns: N}); flaky ones are reported."""
    failed_file = Path(env["CDH_FAILED_FILE"])
    try:
        first_failed: list[str] = json.loads(failed_file.read_text())
    except (OSError, ValueError):
        return result
    still = first_failed
    for attempt in range(1, stage.gate.reruns + 1):
        if not still or processes.cancelled.is_set():
            break
        code = _session(stage, command(still, attempt), root, env, log_path, processes)
        if code not in (0, 1):
            return result
        try:
            still = json.loads(failed_file.read_text())
        except (OSError, ValueError):
            return result

    flaky = [name for name in first_failed if name not in still]
    result.flaky = flaky
    if len(still) > stage.gate.max_failures or result.tests is None:
        if flaky:
            result.reason += f" ({len(flaky)} passed on a rerun)"
        return result
    counts = result.tests
    passed = counts.passed + len(flaky)
    result.status = PASSED
    result.reason = (
        f"{passed} passed, {len(flaky)} flaky (failed, then passed on a rerun): "
        + ", ".join(flaky)
    )
    return result


def _decide(
    stage: Stage, result: StageResult, code: int, junit: Path, run_dir: Path
) -> StageResult:
    if code < 0:
        result.reason = f"pytest was killed by signal {-code}"
        return result
    if code not in _COMPLETED:
        result.reason = (
            f"pytest ended with exit code {code} (interrupted, internal or usage "
            f"error) — see {result.log}"
        )
        return result
    try:
        counts = read_junit(junit)
    except UnreadableResultsError as error:
        result.reason = str(error)
        return result

    result.tests = counts
    if counts.total == 0:
        return _no_tests(stage, result)
    if code == 1 and counts.failed + counts.errors == 0:
        result.reason = (
            f"pytest reported failures (exit code 1) that {result.junit} does not "
            f"record — see {result.log}"
        )
        return result
    if counts.passed == 0 and not counts.failures and not stage.allow_empty:
        result.reason = (
            f"no test passed ({counts.skipped} skipped) — a gate needs tests that ran"
        )
        return result
    if stage.load is not None:
        return _decide_load(result, run_dir)
    broken = counts.failed + counts.errors
    if broken > stage.gate.max_failures:
        first = counts.failures[0] if counts.failures else None
        detail = f"; first: {first.test}: {first.message}" if first else ""
        result.reason = f"{broken} of {counts.total} tests failed{detail}"
        return result

    if stage.gate.coverage is not None and not _coverage_holds(stage, result, run_dir):
        return result

    result.status = PASSED
    result.reason = f"{counts.passed} passed"
    if "coverage" in result.figures:
        floor = stage.gate.coverage or 0.0
        result.reason += (
            f", coverage {result.figures['coverage']:.1f}% (floor {floor:.0%})"
        )
    if broken:
        result.reason += (
            f", {broken} failed (allowed by max_failures: {stage.gate.max_failures})"
        )
    if counts.skipped:
        result.reason += f", {counts.skipped} skipped"
    return result


def _coverage_holds(stage: Stage, result: StageResult, run_dir: Path) -> bool:
    """Read the stage's coverage report; a missing one fails the gate."""
    floor = stage.gate.coverage or 0.0
    path = run_dir / "coverage" / f"{stage.name}.json"
    try:
        measured = float(json.loads(path.read_text())["totals"]["percent_covered"])
    except (OSError, ValueError, KeyError, TypeError):
        result.reason = (
            f"no coverage data in {path} — is pytest-cov installed where the "
            "stage's pytest runs?"
        )
        return False
    result.figures["coverage"] = round(measured, 2)
    if measured < floor * 100:
        result.reason = f"coverage {measured:.1f}% is below the gate's {floor:.0%}"
        return False
    return True


def _attach_load_figures(result: StageResult, run_dir: Path) -> None:
    """Keep what an interrupted load run measured; locust writes it on SIGINT."""
    try:
        result.figures = json.loads((run_dir / "load" / "results.json").read_text())
    except (OSError, ValueError):
        pass


def _decide_load(result: StageResult, run_dir: Path) -> StageResult:
    """A load stage passes when locust ran and every threshold held."""
    path = run_dir / "load" / "results.json"
    try:
        figures = json.loads(path.read_text())
        verdicts = figures["verdicts"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        result.reason = f"no load results in {path} ({error})"
        return result
    result.figures = figures
    counts = result.tests
    failed = [v for v in verdicts if not v.get("passed")]
    if failed:
        result.reason = "; ".join(_verdict_text(v) for v in failed)
    elif figures.get("error"):
        result.reason = str(figures["error"])
    elif counts is not None and counts.failed + counts.errors:
        result.reason = f"{counts.failures[0].test}: {counts.failures[0].message}"
    elif not verdicts:
        result.reason = "no thresholds evaluated — add a gate to the load stage"
    else:
        result.status = PASSED
        result.reason = ", ".join(_verdict_text(v) for v in verdicts)
    return result


def _verdict_text(verdict: dict[str, Any]) -> str:
    threshold = str(verdict.get("threshold"))
    measured = verdict.get("measured")
    if not isinstance(measured, (int, float)):
        return f"{threshold}: {verdict.get('reason') or 'no data'}"
    shown = format_value(parse_threshold(threshold).metric, measured)
    return f"{threshold}: measured {shown}"
