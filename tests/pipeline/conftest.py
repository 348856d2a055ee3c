"""A throwaway repository with one tiny service, for runner tests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SERVICE = """\
import http.server, os, signal, sys, time

if os.environ.get("SLOW_STOP"):
    def stop_slowly(signum, frame):
        time.sleep(2)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop_slowly)
time.sleep(float(os.environ.get("STARTUP_DELAY", "0")))

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(
    (os.environ["HOST"], int(os.environ["PORT"])), Handler
)
print("listening", flush=True)
server.serve_forever()
"""


class Repo:
    """A repository on disk with system.yaml, suites and one pipeline."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        return target

    def pipeline(self, stages: str) -> Path:
        return self.write(
            "pipelines/ci.yaml",
            "system: ../system.yaml\nstages:\n"
            + textwrap.indent(textwrap.dedent(stages), "  "),
        )

    def cdh(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def run_dir(self) -> Path:
        (run,) = sorted((self.root / ".cdh" / "runs").iterdir())
        return run

    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.run_dir() / "results.json").read_text())
        return data

    def stage(self, name: str) -> dict[str, Any]:
        return next(s for s in self.results()["stages"] if s["name"] == name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path)
    repo.write("services/web/web.py", SERVICE)
    repo.write(
        "system.yaml",
        """\
        services:
          web:
            path: services/web
            run: [python, web.py]
            health: /health
        """,
    )
    repo.write("suites/unit/test_ok.py", "def test_ok():\n    pass\n")
    repo.write(
        "suites/api/test_web.py",
        """\
        import urllib.request

        def test_web_answers(service_url):
            with urllib.request.urlopen(service_url("web") + "/x") as answer:
                assert answer.status == 200
        """,
    )
    return repo


ProcessAlive = Callable[[int], bool]


def alive(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
