"""The local backend: services as processes on loopback.

No cluster and no Docker: each service's ``run`` command starts in its own
process group on a free 127.0.0.1 port, in dependency order, and is torn
down (SIGTERM to the group, then SIGKILL) on every exit path.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from harness.environments.base import Deployment, Environment
from harness.errors import EnvironmentError_
from harness.model import Service, System

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_PLACEHOLDER = re.compile(r"\$\{([a-z0-9-]+)(?:\.(url|host|port))?\}")
_STOP_GRACE = 5.0


@dataclass
class _Running:
    service: Service
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log_file: IO[bytes]


class LocalEnvironment(Environment):
    """Runs the system as local processes on 127.0.0.1.

    Args:
        run_dir: the run folder; service logs go to ``run_dir/logs/``, each
            service's scratch data (``${data}``) to ``run_dir/data/<name>``.
        tenant: a name for this deploy, recorded in the deployment.
    """

    name = "local"

    def __init__(self, run_dir: Path, tenant: str = "local") -> None:
        self.run_dir = run_dir
        self.tenant = tenant
        self._running: list[_Running] = []
        self._cancelled = threading.Event()

    def deploy(self, system: System) -> Deployment:
        urls: dict[str, str] = {}
        for service in system.start_order():
            running = self._start(service, urls)
            self._running.append(running)
            urls[service.name] = f"http://{LOOPBACK}:{running.port}"
            self._wait_healthy(running)
        return Deployment(
            backend=self.name,
            tenant=self.tenant,
            services=urls,
            access="loopback",
            run_dir=str(self.run_dir),
            details={"pids": {r.service.name: r.process.pid for r in self._running}},
        )

    def cancel(self) -> None:
        self._cancelled.set()

    def collect_logs(self) -> None:
        for running in self._running:
            running.log_file.flush()

    def teardown(self) -> None:
        while self._running:
            running = self._running.pop()
            _stop(running)

    def _start(self, service: Service, urls: dict[str, str]) -> _Running:
        port = _free_port()
        data_dir = self.run_dir / "data" / service.name
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.run_dir / "logs" / f"{service.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)

        env = dict(os.environ)
        env.update(
            {k: _substitute(v, service, urls, data_dir) for k, v in service.env.items()}
        )
        env.update({"HOST": LOOPBACK, "PORT": str(port), "PYTHONUNBUFFERED": "1"})
        command = [sys.executable if part == "python" else part for part in service.run]

        log_file = log_path.open("ab")
        try:
            process = subprocess.Popen(
                command,
                cwd=service.path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own process group: a Ctrl-C in the terminal reaches the
                # harness only, which then stops services in reverse order.
                start_new_session=True,
            )
        except OSError as error:
            log_file.close()
            raise EnvironmentError_(
                f"service {service.name}: cannot start {' '.join(command)} "
                f"({error.strerror}) — check `run:` in the system file"
            ) from None
        log.info("started %s pid=%s port=%s", service.name, process.pid, port)
        return _Running(service, process, port, log_path, log_file)

    def _wait_healthy(self, running: _Running) -> None:
        service = running.service
        url = f"http://{LOOPBACK}:{running.port}{service.health}"
        deadline = time.monotonic() + service.startup_timeout
        while time.monotonic() < deadline:
            if self._cancelled.is_set():
                raise EnvironmentError_(
                    f"deploy cancelled while {service.name} started"
                )
            if running.process.poll() is not None:
                raise EnvironmentError_(
                    f"service {service.name} exited with code "
                    f"{running.process.returncode} before it was healthy — its log "
                    f"{running.log_path} ends: {_tail(running.log_path)}"
                )
            if _answers(url):
                log.info("%s healthy at %s", service.name, url)
                return
            self._cancelled.wait(0.1)
        raise EnvironmentError_(
            f"service {service.name} not healthy at {url} after "
            f"{service.startup_timeout:g}s — raise startup_timeout or check "
            f"{running.log_path}: {_tail(running.log_path)}"
        )


def _substitute(value: str, service: Service, urls: dict[str, str], data: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        name, part = match.group(1), match.group(2)
        if name == "data" and part is None:
            return str(data)
        if name not in urls:
            raise EnvironmentError_(
                f"service {service.name}: env refers to ${{{match.group(0)[2:-1]}}} "
                f"but {name} is not started before it — add it to `needs:`"
            )
        url = urls[name]
        if part == "host":
            return LOOPBACK
        if part == "port":
            return url.rsplit(":", 1)[1]
        return url

    return _PLACEHOLDER.sub(replace, value)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(running: _Running) -> None:
    process = running.process
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=_STOP_GRACE)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        log.warning(
            "%s did not stop in %ss; killing", running.service.name, _STOP_GRACE
        )
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        _reap_group(process.pid)
        running.log_file.close()
    log.info("stopped %s pid=%s", running.service.name, process.pid)


def _reap_group(pgid: int) -> None:
    """Kill what is left of a service's process group (its own children)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
