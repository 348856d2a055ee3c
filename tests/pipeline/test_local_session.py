"""A plain `pytest -m api` session brings the local environment up and down."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

import pytest

from tests.pipeline.conftest import Repo, alive
from tests.pipeline.test_runner import port_is_free, wait_for

API_SESSION = [sys.executable, "-m", "pytest", "-m", "api", "suites"]
API_SESSION += ["-p", "no:cacheprovider"]


def session_environment(repo: Repo) -> dict[str, Any]:
    """What the session's own local environment recorded (kept after it)."""
    path = repo.root / ".cdh" / "pytest" / "environment.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_api_layer_starts_the_local_environment_itself(repo: Repo) -> None:
    result = subprocess.run(
        API_SESSION,
        cwd=repo.root,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout
    assert not (repo.root / ".cdh" / "environment.json").exists()
    environment = session_environment(repo)
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_session_stops_the_services(repo: Repo, signum: int) -> None:
    repo.write(
        "suites/api/test_slow.py",
        "import time\n\ndef test_slow(service_url):\n    time.sleep(60)\n",
    )
    session = subprocess.Popen(
        API_SESSION,
        cwd=repo.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    environment_file = repo.root / ".cdh" / "environment.json"
    wait_for(environment_file.exists)

    session.send_signal(signum)
    session.wait(timeout=30)

    environment = session_environment(repo)
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)
    assert port_is_free(environment["services"]["web"])


def test_cdh_up_keeps_an_environment_for_pytest_until_ctrl_c(repo: Repo) -> None:
    up = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "up"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    shared = repo.root / ".cdh" / "environment.json"
    wait_for(shared.exists)
    environment = json.loads(shared.read_text())

    tested = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "api",
            "suites",
            "-p",
            "no:cacheprovider",
            f"--environment={shared}",
        ],
        cwd=repo.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    up.send_signal(signal.SIGINT)
    stdout, _ = up.communicate(timeout=30)

    assert tested.returncode == 0, tested.stdout
    assert up.returncode == 0
    assert "environment removed" in stdout
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)
    assert not shared.exists()
