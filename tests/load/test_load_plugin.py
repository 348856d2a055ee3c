"""The load layer as pytest items, tested from outside with pytester."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.environments.base import Deployment

LOCUSTFILE = """\
from locust import HttpUser, constant, task


class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task
    def products(self):
        self.client.get("/products")
"""

SHORT_RUN = (
    "--load-target=web",
    "--load-users=3",
    "--load-spawn-rate=3",
    "--load-duration=3s",
)


class _Products(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        # A few milliseconds per request keep every percentile above zero.
        time.sleep(0.005)
        body = b'{"products": []}'
        self.send_response(200 if self.path == "/products" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@pytest.fixture
def service() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Products)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    write(pytester, "suites/load/locustfile.py", LOCUSTFILE)
    return pytester


@pytest.fixture
def environment_file(project: pytest.Pytester, service: str) -> Path:
    path = project.path / ".cdh" / "environment.json"
    Deployment(backend="local", tenant="test", services={"web": service}).write(path)
    return path


def write(pytester: pytest.Pytester, path: str, source: str) -> Path:
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    return target


def test_locustfile_under_the_load_folder_is_one_load_item(
    project: pytest.Pytester,
) -> None:
    write(project, "suites/load/locustfile_checkout.py", LOCUSTFILE)
    write(project, "suites/api/locustfile.py", LOCUSTFILE)
    write(project, "elsewhere/load/locustfile.py", LOCUSTFILE)

    result = project.runpytest("--collect-only", "-q", "-m", "load", ".")

    result.stdout.fnmatch_lines(
        [
            "suites/load/locustfile.py::locust",
            "suites/load/locustfile_checkout.py::locust",
            "2 tests collected*",
        ]
    )


def test_locustfile_patterns_come_from_the_ini(project: pytest.Pytester) -> None:
    write(project, "suites/load/shop_load.py", LOCUSTFILE)
    project.makeini("[pytest]\ncdh_locustfiles = *_load.py\n")

    result = project.runpytest("--collect-only", "-q")

    result.stdout.fnmatch_lines(["suites/load/shop_load.py::locust", "1 test*"])
    assert "suites/load/locustfile.py" not in result.stdout.str()


def test_locustfile_named_on_the_command_line_is_not_imported(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        "suites/load/locustfile.py",
        "open('imported', 'w').close()\n" + LOCUSTFILE,
    )

    # In a subprocess: were locust imported, gevent would patch this process.
    result = project.runpytest_subprocess(
        "--collect-only", "-q", "suites/load/locustfile.py"
    )

    result.stdout.fnmatch_lines(["suites/load/locustfile.py::locust", "1 test*"])
    assert not (project.path / "imported").exists()


def test_malformed_threshold_is_a_usage_error_naming_it(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("--load-threshold", "p95 << 300ms")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--load-threshold: 'p95 << 300ms' is not a threshold*"]
    )


def test_malformed_threshold_in_the_ini_is_a_usage_error_naming_it(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\ncdh_load_thresholds =\n    p95 < 1s\n    p95 < fast\n")

    result = project.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini cdh_load_thresholds: 'p95 < fast' is not a threshold*"]
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--load-users=0", "--load-users: '0' is not a positive number"),
        ("--load-users=2.5", "--load-users: 2.5 is not a whole number"),
        ("--load-duration=soon", "--load-duration: 'soon' is not a duration*"),
    ],
)
def test_malformed_run_settings_are_usage_errors(
    project: pytest.Pytester, option: str, message: str
) -> None:
    result = project.runpytest(option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])


def test_load_item_without_thresholds_fails_closed(
    project: pytest.Pytester, environment_file: Path
) -> None:
    result = project.runpytest_subprocess(
        f"--environment={environment_file}", *SHORT_RUN, timeout=90
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*no load thresholds, so this run could not fail*"])


def test_load_item_without_a_target_fails_with_the_fix(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no load target — name the service to load with --load-target SERVICE*"]
    )


def test_load_run_meeting_its_thresholds_passes_and_records_results(
    project: pytest.Pytester, environment_file: Path
) -> None:
    results = project.path / "out" / "load.json"

    result = project.runpytest_subprocess(
        f"--environment={environment_file}",
        *SHORT_RUN,
        "--load-threshold=p95 < 5s",
        "--load-threshold=error_rate < 1%",
        "--load-threshold=rps[GET /products] > 1",
        f"--load-results={results}",
        f"--load-dir={project.path / 'load'}",
        timeout=90,
    )

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*load gates*", "suites/load/locustfile.py::locust", "  p95 < 5s: measured *"]
    )
    record = json.loads(results.read_text())
    assert record["target"] == "web"
    assert record["host"].startswith("http://127.0.0.1:")
    assert (record["users"], record["duration"]) == (3, 3.0)
    assert record["stats"]["Aggregated"]["requests"] > 0
    assert record["stats"]["GET /products"]["failures"] == 0
    assert [v["passed"] for v in record["verdicts"]] == [True, True, True]
    assert record["verdicts"][0]["threshold"] == "p95 < 5s"
    assert record["verdicts"][0]["limit"] == 5000.0
    assert Path(record["html"]).is_file()
    assert Path(record["csv_prefix"] + "_stats.csv").is_file()


def test_load_run_missing_a_threshold_fails_naming_it(
    project: pytest.Pytester, environment_file: Path
) -> None:
    result = project.runpytest_subprocess(
        f"--environment={environment_file}",
        *SHORT_RUN,
        "--load-threshold=error_rate < 1%",
        "--load-threshold=p95 < 0.001ms",
        timeout=90,
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "load gate failed: locustfile.py against web (http://127.0.0.1:*)",
            "  error_rate < 1%: measured 0% — passed",
            "  p95 < 0.001ms: measured *ms — FAILED",
        ]
    )


def test_locustfile_that_breaks_fails_with_locusts_own_words(
    project: pytest.Pytester, environment_file: Path
) -> None:
    write(project, "suites/load/locustfile.py", "raise RuntimeError('no users here')\n")

    result = project.runpytest_subprocess(
        f"--environment={environment_file}",
        *SHORT_RUN,
        "--load-threshold=p95 < 1s",
        timeout=90,
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "locust exited with code * running locustfile.py; its last output:",
            "*RuntimeError: no users here*",
        ]
    )


def test_load_run_that_makes_no_requests_fails_closed(
    project: pytest.Pytester, environment_file: Path
) -> None:
    write(
        project,
        "suites/load/locustfile.py",
        LOCUSTFILE.replace('self.client.get("/products")', "pass"),
    )
    project.makeini(
        "[pytest]\ncdh_load_target = web\ncdh_load_users = 2\ncdh_load_duration = 1s\n"
        "cdh_load_thresholds = p95 < 1s\n"
    )
    results = project.path / "load.json"

    result = project.runpytest_subprocess(
        f"--environment={environment_file}", f"--load-results={results}", timeout=90
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  locust made no requests — check*"])
    record = json.loads(results.read_text())
    assert record["passed"] is False
    assert record["stats"]["Aggregated"]["requests"] == 0
    assert (record["target"], record["users"], record["duration"]) == ("web", 2, 1.0)
