"""The runner: stage graph, gates that fail closed, teardown on every path."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.config import load_pipeline
from harness.run import Run, StageResult
from tests.pipeline.conftest import Repo, alive

FULL = """\
unit:   {layer: unit}
deploy: {action: deploy, needs: [unit]}
api:    {layer: api, needs: [deploy]}
"""


def test_passing_pipeline_exits_0_and_writes_the_run_folder(repo: Repo) -> None:
    repo.pipeline(FULL)

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 0, result.stdout + result.stderr
    results = repo.results()
    assert results["status"] == "passed"
    assert results["layers"] == {"unit": 1, "api": 1}
    assert [s["status"] for s in results["stages"]] == ["passed"] * 4
    run_dir = repo.root / ".cdh" / "runs" / results["run_id"]
    for artefact in ("summary.md", "junit/unit.xml", "junit/api.xml", "logs/web.log"):
        assert (run_dir / artefact).is_file(), artefact
    assert "listening" in (run_dir / "logs" / "web.log").read_text()


def test_failed_gate_skips_downstream_stages_and_says_why(repo: Repo) -> None:
    repo.write("suites/unit/test_bad.py", "def test_bad():\n    assert 1 == 2\n")
    repo.pipeline(FULL)

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["status"] == "failed"
    assert repo.stage("unit")["reason"] == (
        "1 of 2 tests failed; first: suites.unit.test_bad::test_bad: assert 1 == 2"
    )
    for name in ("deploy", "api"):
        assert repo.stage(name)["status"] == "skipped"
    assert repo.stage("deploy")["reason"] == "because unit did not pass"
    assert repo.stage("api")["reason"] == "because deploy did not pass"
    assert "- deploy         skipped because unit did not pass" in result.stdout


def test_max_failures_lets_a_stage_pass_with_that_many_failures(repo: Repo) -> None:
    repo.write("suites/unit/test_bad.py", "def test_bad():\n    assert 1 == 2\n")
    repo.pipeline("unit: {layer: unit, gate: {max_failures: 1}}\n")

    assert repo.cdh("run", "pipelines/ci.yaml").returncode == 0
    assert repo.stage("unit")["reason"] == (
        "1 passed, 1 failed (allowed by max_failures: 1)"
    )


def test_run_missing_a_stage_result_is_not_passed(repo: Repo) -> None:
    repo.pipeline("unit: {layer: unit}\napi: {layer: api, needs: [unit]}\n")
    pipeline = load_pipeline(repo.root / "pipelines" / "ci.yaml")
    run = Run(pipeline, "r1", repo.root / "r1")
    run.results["unit"] = StageResult("unit", "passed")

    assert not run.passed
    assert run.exit_code == 1


def test_run_whose_teardown_failed_is_not_passed(repo: Repo) -> None:
    repo.pipeline("unit: {layer: unit}\n")
    pipeline = load_pipeline(repo.root / "pipelines" / "ci.yaml")
    run = Run(pipeline, "r1", repo.root / "r1")
    run.results["unit"] = StageResult("unit", "passed")
    assert run.passed

    run.teardown = StageResult("teardown", "failed", "namespace still terminating")

    assert not run.passed
    assert run.exit_code == 1


FLAKY = """\
from pathlib import Path

def test_flaky():
    marker = Path(__file__).with_suffix(".ran")
    if not marker.exists():
        marker.write_text("once")
        assert False, "first run fails"
"""


def test_reruns_pass_a_flaky_test_and_report_it(repo: Repo) -> None:
    repo.write("suites/unit/test_flaky.py", FLAKY)
    repo.pipeline("unit: {layer: unit, gate: {reruns: 2}}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 0, result.stdout
    unit = repo.stage("unit")
    assert unit["flaky"] == ["suites/unit/test_flaky.py::test_flaky"]
    assert unit["reason"] == (
        "2 passed, 1 flaky (failed, then passed on a rerun): "
        "suites/unit/test_flaky.py::test_flaky"
    )
    assert (repo.run_dir() / "junit" / "unit.rerun-1.xml").is_file()


def test_reruns_do_not_pass_a_test_that_keeps_failing(repo: Repo) -> None:
    repo.write("suites/unit/test_bad.py", "def test_bad():\n    assert 0\n")
    repo.pipeline("unit: {layer: unit, gate: {reruns: 2}}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["flaky"] == []
    assert (repo.run_dir() / "junit" / "unit.rerun-2.xml").is_file()


def test_without_reruns_a_flaky_test_fails_the_gate(repo: Repo) -> None:
    repo.write("suites/unit/test_flaky.py", FLAKY)
    repo.pipeline("unit: {layer: unit}\n")

    assert repo.cdh("run", "pipelines/ci.yaml").returncode == 1


@pytest.mark.parametrize(("floor", "passes"), [("40%", True), ("90%", False)])
def test_coverage_gate_measures_the_code_it_names(
    repo: Repo, floor: str, passes: bool
) -> None:
    repo.write(
        "lib/calc.py",
        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    )
    repo.write("pytest.ini", "[pytest]\npythonpath = lib\n")
    repo.write(
        "suites/unit/test_calc.py",
        "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    )
    repo.pipeline(f"unit: {{layer: unit, gate: {{coverage: {floor}, cover: [lib]}}}}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    unit = repo.stage("unit")
    assert unit["figures"]["coverage"] == pytest.approx(75.0)
    assert not (repo.root / ".coverage").exists()
    if passes:
        assert result.returncode == 0, unit["reason"]
        assert unit["reason"] == "2 passed, coverage 75.0% (floor 40%)"
    else:
        assert result.returncode == 1
        assert unit["reason"] == "coverage 75.0% is below the gate's 90%"


def test_stage_selecting_no_tests_fails_closed(repo: Repo) -> None:
    repo.pipeline("integration: {layer: integration}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("integration")["reason"] == (
        "selected no tests — add tests or set allow_empty: true"
    )


def test_allow_empty_lets_an_empty_stage_pass(repo: Repo) -> None:
    repo.pipeline("integration: {layer: integration, allow_empty: true}\n")

    assert repo.cdh("run", "pipelines/ci.yaml").returncode == 0


def test_stage_whose_tests_were_all_skipped_fails_closed(repo: Repo) -> None:
    repo.write(
        "suites/unit/conftest.py",
        "import pytest\n\ndef pytest_runtest_setup(item):\n    pytest.skip('no')\n",
    )
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"] == (
        "no test passed (1 skipped) — a gate needs tests that ran"
    )


def test_failure_missing_from_the_results_file_still_fails(repo: Repo) -> None:
    repo.write("suites/unit/test_bad.py", "def test_bad():\n    assert 0\n")
    repo.write(
        "suites/unit/conftest.py",
        """\
        def pytest_unconfigure(config):
            with open(config.option.xmlpath, "w") as junit:
                junit.write('<testsuites><testsuite><testcase classname="a" '
                            'name="b"/></testsuite></testsuites>')
        """,
    )
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"].startswith(
        "pytest reported failures (exit code 1) that junit/unit.xml does not record"
    )


def test_killed_pytest_process_fails_the_gate(repo: Repo) -> None:
    repo.write(
        "suites/unit/test_die.py",
        "import os, signal\n\n"
        "def test_die():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"] == "pytest was killed by signal 9"


def test_crashed_session_fails_the_gate(repo: Repo) -> None:
    repo.write("suites/unit/conftest.py", "raise RuntimeError('broken conftest')\n")
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"].startswith("pytest ended with exit code 4")


def test_missing_results_file_fails_the_gate(repo: Repo) -> None:
    repo.write(
        "suites/unit/conftest.py",
        """\
        import os

        def pytest_unconfigure(config):
            os.remove(config.option.xmlpath)
        """,
    )
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"].startswith("no results file ")


def test_unreadable_results_file_fails_the_gate(repo: Repo) -> None:
    repo.write(
        "suites/unit/conftest.py",
        """\
        import os

        def pytest_unconfigure(config):
            path = config.option.xmlpath
            if path:
                with open(path, "w") as junit:
                    junit.write("<testsuites><broken")
        """,
    )
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("run", "pipelines/ci.yaml")

    assert result.returncode == 1
    assert repo.stage("unit")["reason"].startswith("unreadable results file ")


def test_independent_stages_run_in_parallel(repo: Repo) -> None:
    repo.write(
        "suites/integration/test_slow.py",
        "import time\n\ndef test_a():\n    time.sleep(2)\n",
    )
    repo.write(
        "suites/contract/test_slow.py",
        "import time\n\ndef test_b():\n    time.sleep(2)\n",
    )
    repo.pipeline(
        """\
        integration: {layer: integration}
        contract:    {layer: contract}
        """
    )

    assert repo.cdh("run", "pipelines/ci.yaml").returncode == 0

    first, second = repo.stage("integration"), repo.stage("contract")
    assert first["started"] < second["started"] + second["seconds"]
    assert second["started"] < first["started"] + first["seconds"]


def test_services_are_stopped_and_ports_freed_after_the_run(repo: Repo) -> None:
    repo.pipeline(FULL)

    assert repo.cdh("run", "pipelines/ci.yaml").returncode == 0

    environment = json.loads((repo.run_dir() / "environment.json").read_text())
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)
    assert port_is_free(environment["services"]["web"])
    assert not (repo.root / ".cdh" / "environment.json").exists()


def test_sigint_during_api_stage_tears_down_and_still_reports(repo: Repo) -> None:
    interrupted_run(repo, signal.SIGINT)


def test_sigterm_during_api_stage_tears_down_and_still_reports(repo: Repo) -> None:
    interrupted_run(repo, signal.SIGTERM)


def interrupted_run(repo: Repo, signum: int) -> None:
    repo.write(
        "suites/api/test_slow.py",
        "import time\n\ndef test_slow(service_url):\n    time.sleep(60)\n",
    )
    repo.pipeline(FULL)
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "pipelines/ci.yaml"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    environment_file = repo.root / ".cdh" / "environment.json"
    wait_for(lambda: environment_file.exists() and api_log_started(repo))

    process.send_signal(signum)
    stdout, _ = process.communicate(timeout=60)

    assert process.returncode == 130, stdout
    assert repo.results()["status"] == "interrupted"
    assert repo.stage("api")["status"] == "failed"
    assert repo.stage("api")["reason"] == "interrupted"
    assert not environment_file.exists()
    environment = json.loads((repo.run_dir() / "environment.json").read_text())
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)
    assert port_is_free(environment["services"]["web"])
    assert no_process_mentions(str(repo.root))


def api_log_started(repo: Repo) -> bool:
    return any((repo.root / ".cdh" / "runs").glob("*/stages/api.log"))


def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            time.sleep(1.0)  # let the api session reach its test
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def port_is_free(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def no_process_mentions(text: str) -> bool:
    """No live process has ``text`` in its command line or working folder."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = (
                Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            )
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if alive(int(entry)) and (text in cmdline or cwd.startswith(text)):
            return False
    return True


def test_repeated_ctrl_c_cannot_cut_teardown_short(repo: Repo) -> None:
    repo.write(
        "system.yaml",
        """\
        services:
          web:
            path: services/web
            run: [python, web.py]
            env: {SLOW_STOP: "1"}
        """,
    )
    repo.write(
        "suites/api/test_slow.py",
        "import time\n\ndef test_slow(service_url):\n    time.sleep(60)\n",
    )
    repo.pipeline(FULL)
    process = start_run(repo)
    wait_for(lambda: api_log_started(repo))

    for _ in range(4):
        process.send_signal(signal.SIGINT)
        time.sleep(0.4)
    stdout, _ = process.communicate(timeout=60)

    assert process.returncode == 130, stdout
    assert repo.stage("teardown")["status"] == "passed"
    environment = json.loads((repo.run_dir() / "environment.json").read_text())
    (pid,) = environment["details"]["pids"].values()
    assert not alive(pid)
    assert "stage" in stdout  # the stage table was still printed


def test_ctrl_c_during_deploy_cancels_it_promptly(repo: Repo) -> None:
    repo.write(
        "system.yaml",
        """\
        services:
          web:
            path: services/web
            run: [python, web.py]
            env: {STARTUP_DELAY: "25"}
        """,
    )
    repo.pipeline(FULL)
    process = start_run(repo)
    wait_for(lambda: any((repo.root / ".cdh" / "runs").glob("*/logs/web.log")))

    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)

    assert time.monotonic() - interrupted < 10
    assert process.returncode == 130
    assert repo.stage("deploy")["status"] == "failed"
    assert no_process_mentions(str(repo.root))


def start_run(repo: Repo) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "pipelines/ci.yaml"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
