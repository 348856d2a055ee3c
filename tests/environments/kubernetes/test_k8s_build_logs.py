"""Build logs stream into the run folder while kaniko runs.

A loopback server replays what an API server answers while builds run:
the Jobs, their pods (running until the test lets them finish) and a
``follow`` log stream sent in chunks, held open mid-build. The backend
talks to it through the official client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from k8s_fakes import DIGEST, RUN_ID, write_kubeconfig

from harness.environments.kubernetes.building import BuildRun
from harness.environments.kubernetes.cleanup import Clock
from harness.environments.kubernetes.client import Cluster, connect, create
from harness.environments.kubernetes.logs import MASK, LogFollower
from harness.environments.kubernetes.render import plan_run
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.errors import EnvironmentError_
from harness.model import Pipeline

PASSWORD = "pw-streamed-secret-7"
BEFORE = [
    "INFO[0000] Retrieving image manifest python:3.12-slim",
    f"INFO[0001] Unpacking rootfs (auth {PASSWORD})",
]
AFTER = [
    "INFO[0009] RUN pip install .",
    "error building image: error building stage: exit status 1",
]


@dataclass
class Builds:
    """The replayed cluster: which builds fail, and when pods may finish."""

    failing: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    follow_broken: bool = False
    log_queries: list[dict[str, list[str]]] = field(default_factory=list)


def _pod(job: str, builds: Builds) -> dict[str, Any]:
    if not builds.release.is_set():
        state: dict[str, Any] = {"running": {"startedAt": "2025-01-01T00:00:00Z"}}
    elif job.removeprefix("build-") in builds.failing:
        state = {"terminated": {"exitCode": 1, "reason": "Error", "message": ""}}
    else:
        state = {
            "terminated": {"exitCode": 0, "reason": "Completed", "message": DIGEST}
        }
    status = {"name": "kaniko", "image": "k", "imageID": "", "ready": False}
    return {
        "metadata": {"name": f"{job}-x1", "labels": {"job-name": job}},
        "spec": {"containers": [{"name": "kaniko"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [status | {"restartCount": 0, "state": state}],
        },
    }


def _handler(builds: Builds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers["Content-Length"])
            self._send(201, json.loads(self.rfile.read(length)))

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            parts = url.path.strip("/").split("/")
            if url.path.endswith("/log"):
                return self._log(query)
            if parts[-1] == "events":
                return self._send(200, {"kind": "EventList", "items": []})
            if parts[-1] == "pods":
                job = query["labelSelector"][0].partition("=")[2]
                return self._send(
                    200, {"kind": "PodList", "items": [_pod(job, builds)]}
                )
            if "jobs" in parts:
                return self._send(
                    200, {"kind": "Job", "metadata": {"name": parts[-1]}, "status": {}}
                )
            return self._send(404, {"kind": "Status", "code": 404})

        def _log(self, query: dict[str, list[str]]) -> None:
            builds.log_queries.append(query)
            if query.get("follow") != ["true"]:
                text = "\n".join(BEFORE + AFTER) + "\n"
                return self._chunks([text])
            if builds.follow_broken:
                return self._send(400, {"kind": "Status", "code": 400})
            self._chunks(
                [line + "\n" for line in BEFORE],
                then=[line + "\n" for line in AFTER],
            )

        def _chunks(self, first: list[str], then: list[str] = ()) -> None:  # type: ignore[assignment]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for text in first:
                self._chunk(text.encode())
            if then:
                # Held open mid-build, as the API server does while kaniko runs.
                builds.release.wait(10)
                for text in then:
                    self._chunk(text.encode())
            self.wfile.write(b"0\r\n\r\n")

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[tuple[Builds, Cluster]]:
    builds = Builds()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(builds))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kubeconfig = write_kubeconfig(tmp_path, url)
    try:
        yield builds, connect("recorded", kubeconfig=str(kubeconfig), environ={})
    finally:
        builds.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _wait_for(predicate: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_build_log_reaches_the_run_folder_while_kaniko_runs(
    replay: tuple[Builds, Cluster],
    pipeline: Pipeline,
    settings: KubernetesSettings,
    tmp_path: Path,
) -> None:
    builds, cluster = replay
    builds.failing.add("catalog")
    environ = {"CDH_REGISTRY_USERNAME": "bot", "CDH_REGISTRY_PASSWORD": PASSWORD}
    plan = plan_run(
        pipeline.system, settings, pipeline="ci", run_id=RUN_ID, environ=environ
    )
    run = BuildRun(
        cluster,
        settings,
        plan,
        tmp_path,
        create=lambda manifest: create(cluster, manifest),
        clock=Clock(sleep=lambda seconds: time.sleep(0.05)),
    )
    failure: list[BaseException] = []

    def build() -> None:
        try:
            run.run()
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=build)
    worker.start()
    log_file = tmp_path / "builds" / "catalog.log"
    _wait_for(lambda: log_file.exists() and "Unpacking rootfs" in log_file.read_text())

    # kaniko is still running: its pods report it and the stream is open
    assert worker.is_alive() and not builds.release.is_set()
    assert "RUN pip install" not in log_file.read_text()
    builds.release.set()
    worker.join(15)

    assert not worker.is_alive()
    assert isinstance(failure[0], EnvironmentError_)
    message = str(failure[0])
    assert message.startswith("build of catalog failed: kaniko exited with code 1")
    assert message.endswith(
        "kaniko's last lines: INFO[0000] Retrieving image manifest python:3.12-slim"
        f" | INFO[0001] Unpacking rootfs (auth {MASK}) | INFO[0009] RUN pip install ."
        " | error building image: error building stage: exit status 1"
    )
    assert log_file.read_text().splitlines() == [
        BEFORE[0],
        BEFORE[1].replace(PASSWORD, MASK),
        *AFTER,
    ]
    follows = [q for q in builds.log_queries if q.get("follow") == ["true"]]
    assert follows and all(q["container"] == ["kaniko"] for q in follows)


def test_a_broken_log_stream_falls_back_to_reading_the_whole_log(
    replay: tuple[Builds, Cluster], tmp_path: Path
) -> None:
    builds, cluster = replay
    builds.follow_broken = True
    path = tmp_path / "builds" / "orders.log"

    follower = LogFollower(cluster.core, "build-orders-x1", "ns", "kaniko", path)
    text = follower.finish(timeout=5)

    assert text.splitlines() == BEFORE + AFTER
    assert follower.error
    assert [q.get("follow") for q in builds.log_queries] == [["true"], None]
