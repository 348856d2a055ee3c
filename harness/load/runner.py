"""Run locust headless in a process of its own.

Locust's gevent monkey-patches the interpreter that imports it, so the
pytest process never imports locust: each run is ``python -m locust`` in a
new process group, killed as a group when it overruns or the user presses
Ctrl-C. Process groups make this POSIX-only.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import LoadError

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0
"""Seconds locust gives running tasks to finish after the run time."""

STARTUP_MARGIN = 30.0
"""Seconds on top of run time and stop timeout before the run counts as hung."""

_KILL_GRACE = 5.0
_OUTPUTS = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv")


@dataclass(frozen=True)
class LocustRun:
    """What one headless locust run does.

    Attributes:
        locustfile: the locustfile to run.
        host: base URL of the service under load.
        users: peak number of concurrent users.
        spawn_rate: users started per second.
        duration: run time in seconds; locust counts whole seconds, so it
            is rounded up.
        csv_prefix: locust's ``--csv`` prefix; the CSV files land beside it.
        html: where locust writes its HTML report.
        cwd: the folder locust runs in (it reads ``locust.conf`` there).
    """

    locustfile: Path
    host: str
    users: int
    spawn_rate: float
    duration: float
    csv_prefix: Path
    html: Path
    cwd: Path | None = None

    @property
    def run_time(self) -> int:
        return max(1, math.ceil(self.duration))

    @property
    def timeout(self) -> float:
        """Seconds after which the run is killed as hung."""
        return self.run_time + STOP_TIMEOUT + STARTUP_MARGIN

    @property
    def stdout_log(self) -> Path:
        return Path(f"{self.csv_prefix}_stdout.log")

    @property
    def stderr_log(self) -> Path:
        return Path(f"{self.csv_prefix}_stderr.log")

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--headless",
            "--users",
            str(self.users),
            "--spawn-rate",
            f"{self.spawn_rate:g}",
            "--run-time",
            f"{self.run_time}s",
            "--host",
            self.host,
            "--csv",
            str(self.csv_prefix),
            "--html",
            str(self.html),
            "--only-summary",
            "--stop-timeout",
            f"{STOP_TIMEOUT:g}",
            "--exit-code-on-error",
            "0",
        ]


@dataclass(frozen=True)
class LocustOutcome:
    """How a locust process ended and what it printed."""

    returncode: int
    seconds: float
    stdout: str
    stderr: str

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines of locust's stderr, where it reports why it stopped."""
        return "\n".join(self.stderr.strip().splitlines()[-lines:])


def run_locust(run: LocustRun) -> LocustOutcome:
    """Run locust to completion and return how it ended.

    Outputs of an earlier run with the same CSV prefix are removed first,
    so that stale figures can never pass a gate.

    Raises:
        LoadError: locust could not be started or overran its timeout (its
            process group has then been killed).
    """
    run.csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    run.html.parent.mkdir(parents=True, exist_ok=True)
    for suffix in _OUTPUTS:
        Path(f"{run.csv_prefix}{suffix}").unlink(missing_ok=True)
    run.html.unlink(missing_ok=True)

    started = time.monotonic()
    with run.stdout_log.open("wb") as out, run.stderr_log.open("wb") as err:
        try:
            process = subprocess.Popen(
                run.command(),
                cwd=run.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as error:
            raise LoadError(
                f"cannot start locust with {sys.executable}: {error} — install "
                "locust into the environment running pytest"
            ) from None
        log.info(
            "locust started (pid %s): %s users for %ss against %s",
            process.pid,
            run.users,
            run.run_time,
            run.host,
        )

        try:
            returncode = process.wait(timeout=run.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise LoadError(
                f"locust on {run.locustfile} did not finish within "
                f"{run.timeout:g}s (run time + stop timeout + "
                f"{STARTUP_MARGIN:g}s) and was killed — see {run.stderr_log}"
            ) from None
        except BaseException:
            _kill_group(process)
            raise

    seconds = time.monotonic() - started
    log.info(
        "locust stopped (pid %s) with exit code %s after %.1fs",
        process.pid,
        returncode,
        seconds,
    )
    return LocustOutcome(
        returncode=returncode,
        seconds=seconds,
        stdout=run.stdout_log.read_text(errors="replace"),
        stderr=run.stderr_log.read_text(errors="replace"),
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop locust and anything it forked: TERM, a grace period, then KILL."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=_KILL_GRACE)
    except subprocess.TimeoutExpired:
        pass
    # Forked workers may outlive the main process; KILL reaches the group.
    _signal_group(process, signal.SIGKILL)
    process.wait()
    log.warning("locust (pid %s) and its process group killed", process.pid)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
