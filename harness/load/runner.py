"""Run locust headless in a process of its own.

Locust's gevent monkey-patches the interpreter that imports it, so the
pytest process never imports locust: each run is ``python -m locust`` in a
new process group, killed as a group when it overruns or the user presses
Ctrl-C. Process groups make this POSIX-only.

With ``workers`` above zero the run is distributed on this machine: a
master bound to 127.0.0.1 on a free port, and that many ``--worker``
processes, each in a process group of its own. The master waits for all of them
(at most :data:`WORKER_WAIT` seconds) and writes the aggregated statistics.

With a ``remote`` set (see :mod:`harness.load.distributed`), the master
and workers run where the deployed system runs instead, and the remote
puts the same result files in place.

A ``watch`` callback, polled every :data:`WATCH_INTERVAL` seconds while
locust runs, may stop the run early: locust then gets SIGINT, which it
handles like the end of its run time, writing its statistics and reports.
(Not SIGTERM: during a shaped headless run locust 2.47 has not installed
its SIGTERM handler yet, and dies without writing them.) Ctrl-C
(KeyboardInterrupt) takes the same graceful path; the outcome then says
``interrupted``.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.errors import LoadError

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0
"""Seconds locust gives running tasks to finish after the run time."""

STARTUP_MARGIN = 30.0
"""Seconds on top of run time and stop timeout before the run counts as hung."""

WORKER_WAIT = 30
"""Seconds the master waits for its workers before it gives up."""

WATCH_INTERVAL = 2.0
"""Seconds between two calls of a run's watch callback."""

_KILL_GRACE = 5.0
_OUTPUTS = (
    "_stats.csv",
    "_stats_history.csv",
    "_failures.csv",
    "_exceptions.csv",
    "_final.json",
)

Watch = Callable[[float], "str | None"]
"""Called with the seconds since start; a reason to stop the run, or None."""


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
        workers: local worker processes; 0 runs locust in one process.
        shape_file: a locustfile holding the load shape, loaded beside
            ``locustfile``; users, spawn rate and run time then come from it.
        env: extra environment variables for locust (the shape's steps).
        remote: runs master and workers elsewhere (the tenant namespace)
            instead of on this machine.
    """

    locustfile: Path
    host: str
    users: int
    spawn_rate: float
    duration: float
    csv_prefix: Path
    html: Path
    cwd: Path | None = None
    workers: int = 0
    shape_file: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    remote: RemoteLoad | None = None

    @property
    def run_time(self) -> int:
        return max(1, math.ceil(self.duration))

    @property
    def timeout(self) -> float:
        """Seconds after which the run is killed as hung."""
        waiting = WORKER_WAIT if self.workers else 0
        return self.run_time + STOP_TIMEOUT + STARTUP_MARGIN + waiting

    @property
    def json_file(self) -> Path:
        """Locust's final statistics (locust appends ``.json`` to ``--json-file``)."""
        return Path(f"{self.csv_prefix}_final.json")

    def worker_log(self, index: int) -> Path:
        return Path(f"{self.csv_prefix}_worker{index}.log")

    def _files(self) -> str:
        if self.shape_file is None:
            return str(self.locustfile)
        return f"{self.locustfile},{self.shape_file}"

    @property
    def stdout_log(self) -> Path:
        return Path(f"{self.csv_prefix}_stdout.log")

    @property
    def stderr_log(self) -> Path:
        return Path(f"{self.csv_prefix}_stderr.log")

    def command(self, master_port: int = 0) -> list[str]:
        """The locust command line; the master's when ``workers`` is set."""
        command = [sys.executable, "-m", "locust", "-f", self._files(), "--headless"]
        if self.shape_file is None:
            command += [
                "--users",
                str(self.users),
                "--spawn-rate",
                f"{self.spawn_rate:g}",
                "--run-time",
                f"{self.run_time}s",
            ]
        if self.workers:
            command += [
                "--master",
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(master_port),
                "--expect-workers",
                str(self.workers),
                "--expect-workers-max-wait",
                str(WORKER_WAIT),
            ]
        return command + [
            "--host",
            self.host,
            "--csv",
            str(self.csv_prefix),
            "--html",
            str(self.html),
            "--json-file",
            str(self.json_file)[: -len(".json")],
            "--only-summary",
            "--stop-timeout",
            f"{STOP_TIMEOUT:g}",
            "--exit-code-on-error",
            "0",
        ]

    def worker_command(self, master_port: int) -> list[str]:
        """One worker's command line, connecting to the master on loopback."""
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(master_port),
        ]


@dataclass(frozen=True)
class LocustOutcome:
    """How a locust process ended and what it printed."""

    returncode: int
    seconds: float
    stdout: str
    stderr: str
    aborted: str = ""
    """Why the watch stopped the run early; empty when it ran its course."""
    interrupted: bool = False

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines of locust's stderr, where it reports why it stopped."""
        return "\n".join(self.stderr.strip().splitlines()[-lines:])


class RemoteLoad(Protocol):
    """Runs a distributed locust run away from this machine."""

    def run(self, run: LocustRun, watch: Watch | None) -> LocustOutcome:
        """Run it and put locust's result files at ``run``'s paths."""


def run_locust(run: LocustRun, watch: Watch | None = None) -> LocustOutcome:
    """Run locust to completion and return how it ended.

    Outputs of an earlier run with the same CSV prefix are removed first,
    so that stale figures can never pass a gate.

    Args:
        run: what to run.
        watch: polled while locust runs; a reason it returns stops the run
            gracefully and is kept as the outcome's ``aborted``.

    Returns:
        How locust ended. On Ctrl-C locust is stopped gracefully and the
        outcome says ``interrupted``: the caller records it and re-raises.

    Raises:
        LoadError: locust could not be started or overran its timeout (its
            process group has then been killed).
    """
    run.csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    run.html.parent.mkdir(parents=True, exist_ok=True)
    for suffix in _OUTPUTS:
        Path(f"{run.csv_prefix}{suffix}").unlink(missing_ok=True)
    run.html.unlink(missing_ok=True)
    if run.remote is not None:
        return run.remote.run(run, watch)

    started = time.monotonic()
    port = _free_port() if run.workers else 0
    env = {**os.environ, **run.env}
    aborted, interrupted = "", False
    workers: list[subprocess.Popen[bytes]] = []
    with run.stdout_log.open("wb") as out, run.stderr_log.open("wb") as err:
        try:
            process = subprocess.Popen(
                run.command(port),
                cwd=run.cwd,
                env=env,
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
            workers += _start_workers(run, port, env)
            while True:
                try:
                    returncode = process.wait(timeout=WATCH_INTERVAL)
                    break
                except subprocess.TimeoutExpired:
                    elapsed = time.monotonic() - started
                    if elapsed > run.timeout:
                        raise
                    if watch is not None and not aborted:
                        aborted = watch(elapsed) or ""
                        if aborted:
                            log.warning("stopping locust early: %s", aborted)
                            process.send_signal(signal.SIGINT)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise LoadError(
                f"locust on {run.locustfile} did not finish within "
                f"{run.timeout:g}s (run time + stop timeout + "
                f"{STARTUP_MARGIN:g}s) and was killed — see {run.stderr_log}"
            ) from None
        except KeyboardInterrupt:
            interrupted = True
            returncode = _stop_gracefully(process)
        except BaseException:
            _kill_group(process)
            raise
        finally:
            _stop_workers(workers)

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
        stderr=_stderr(run),
        aborted=aborted,
        interrupted=interrupted,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_workers(
    run: LocustRun, port: int, env: dict[str, str]
) -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(run.workers):
        with run.worker_log(index).open("wb") as output:
            worker = subprocess.Popen(
                run.worker_command(port),
                cwd=run.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        workers.append(worker)
        log.info("locust worker %s started (pid %s)", index, worker.pid)
    return workers


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """Workers quit with their master; one that does not is killed."""
    for worker in workers:
        try:
            worker.wait(timeout=_KILL_GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(worker)
        log.info("locust worker stopped (pid %s)", worker.pid)


def _stderr(run: LocustRun) -> str:
    """The master's stderr, with the workers' logs after it."""
    parts = [run.stderr_log.read_text(errors="replace")]
    parts += [
        run.worker_log(i).read_text(errors="replace")
        for i in range(run.workers)
        if run.worker_log(i).exists()
    ]
    return "\n".join(parts)


def _stop_gracefully(process: subprocess.Popen[bytes]) -> int:
    """SIGINT: locust stops its users and writes statistics and reports."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_TIMEOUT + _KILL_GRACE)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return process.wait()


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
