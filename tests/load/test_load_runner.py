"""Running locust in a process group of its own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from harness.errors import LoadError
from harness.load import runner
from harness.load.runner import LocustRun, run_locust

# Stands in for locust: forks a grandchild that would outlive a plain kill,
# then hangs.
HANGING = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(60)
"""


def make_run(tmp_path: Path, duration: float = 1.0) -> LocustRun:
    return LocustRun(
        locustfile=tmp_path / "locustfile.py",
        host="http://127.0.0.1:9",
        users=3,
        spawn_rate=1.5,
        duration=duration,
        csv_prefix=tmp_path / "out" / "run",
        html=tmp_path / "out" / "run.html",
    )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_command_runs_locust_headless_with_the_run_settings(tmp_path: Path) -> None:
    command = make_run(tmp_path, duration=2.5).command()

    assert command[:3] == [sys.executable, "-m", "locust"]

    def flags(name: str) -> str:
        return command[command.index(name) + 1]

    assert flags("-f") == str(tmp_path / "locustfile.py")
    assert flags("--users") == "3"
    assert flags("--spawn-rate") == "1.5"
    assert flags("--run-time") == "3s"  # locust counts whole seconds
    assert flags("--host") == "http://127.0.0.1:9"
    assert flags("--csv") == str(tmp_path / "out" / "run")
    assert "--headless" in command
    assert command[-2:] == ["--exit-code-on-error", "0"]


def test_outputs_of_an_earlier_run_are_removed_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run(tmp_path)
    stale = Path(f"{run.csv_prefix}_stats.csv")
    stale.parent.mkdir(parents=True)
    stale.write_text("Type,Name\n,Aggregated\n")
    monkeypatch.setattr(
        LocustRun, "command", lambda self, port=0: [sys.executable, "-c", "pass"]
    )

    outcome = run_locust(run)

    assert outcome.returncode == 0
    assert not stale.exists()


def test_exit_code_and_stderr_of_locust_are_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "import sys; sys.stderr.write('one\\ntwo\\nthree\\n'); sys.exit(3)"
    monkeypatch.setattr(
        LocustRun, "command", lambda self, port=0: [sys.executable, "-c", script]
    )

    outcome = run_locust(make_run(tmp_path))

    assert outcome.returncode == 3
    assert outcome.stderr_tail(2) == "two\nthree"


def test_overrunning_locust_is_killed_with_its_whole_process_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    monkeypatch.setattr(runner, "STOP_TIMEOUT", 0.0)
    monkeypatch.setattr(runner, "STARTUP_MARGIN", 0.5)
    monkeypatch.setattr(
        LocustRun,
        "command",
        lambda self, port=0: [sys.executable, "-c", HANGING, str(pid_file)],
    )

    started = time.monotonic()
    with pytest.raises(LoadError, match=r"did not finish within 1\.5s"):
        run_locust(make_run(tmp_path))

    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
