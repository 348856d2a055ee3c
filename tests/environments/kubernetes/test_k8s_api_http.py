"""The real client against recorded API answers served over loopback HTTP.

A small server on 127.0.0.1 replays what an API server answers for the
calls of preflight, namespace deletion and ``gc``; the backend talks to it
through the official client, kubeconfig and all.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from k8s_fakes import FakeClock

from harness.cli import main
from harness.environments.kubernetes import names
from harness.environments.kubernetes.cleanup import Clock, delete_namespace, gc
from harness.environments.kubernetes.client import connect, preflight
from harness.errors import EnvironmentError_

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.2",
    "gitCommit": "0",
    "gitTreeState": "clean",
    "buildDate": "2024-10-22T00:00:00Z",
    "goVersion": "go1.22.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _namespace(
    name: str, labels: dict[str, str], phase: str = "Active"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": phase},
    }


def _not_found(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "status": "Failure",
        "message": f'namespaces "{name}" not found',
        "reason": "NotFound",
        "code": 404,
    }


def _forbidden(verb: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "status": "Failure",
        "message": f'namespaces is forbidden: cannot {verb} resource "namespaces"',
        "reason": "Forbidden",
        "code": 403,
    }


class Recorded:
    """The API's state: namespaces, and which stay Terminating once deleted."""

    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.stuck: set[str] = set()
        # Namespace names (or "*list*") the credentials may not delete (list).
        self.forbidden: set[str] = set()
        self.requests: list[tuple[str, str]] = []


def _handler(state: Recorded) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            state.requests.append(("GET", self.path))
            path = self.path.split("?")[0].rstrip("/")
            if path == "/version":
                return self._send(200, VERSION)
            if path == "/api/v1/namespaces" and "*list*" in state.forbidden:
                return self._send(403, _forbidden("list"))
            if path == "/api/v1/namespaces":
                # Like a server that ignores the selector: gc must check labels.
                items = list(state.namespaces.values())
                return self._send(
                    200,
                    {
                        "apiVersion": "v1",
                        "kind": "NamespaceList",
                        "metadata": {},
                        "items": items,
                    },
                )
            name = path.rsplit("/", 1)[1]
            if name in state.namespaces:
                return self._send(200, state.namespaces[name])
            return self._send(404, _not_found(name))

        def do_DELETE(self) -> None:  # noqa: N802
            state.requests.append(("DELETE", self.path))
            name = self.path.split("?")[0].rsplit("/", 1)[1]
            if name in state.forbidden:
                return self._send(403, _forbidden("delete"))
            if name not in state.namespaces:
                return self._send(404, _not_found(name))
            namespace = state.namespaces[name]
            namespace["status"]["phase"] = "Terminating"
            if name not in state.stuck:
                del state.namespaces[name]
            return self._send(200, namespace)

    return Handler


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Recorded, Path]]:
    state = Recorded()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = _kubeconfig(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield state, kubeconfig
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "recorded", "cluster": {"server": server}}],
                "users": [{"name": "tester", "user": {"token": "t0ken-not-real"}}],
                "contexts": [
                    {
                        "name": "recorded",
                        "context": {"cluster": "recorded", "user": "tester"},
                    }
                ],
                "current-context": "recorded",
            }
        )
    )
    return path


def _clock() -> Clock:
    fake = FakeClock()
    return Clock(now=fake.now, sleep=fake.sleep, wall=fake.wall)


def test_preflight_reads_the_servers_version(api: tuple[Recorded, Path]) -> None:
    state, kubeconfig = api

    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    assert preflight(cluster) == "v1.31.2"
    assert cluster.target.startswith("context recorded at http://127.0.0.1:")


def test_no_cluster_answering_fails_fast_naming_context_and_host(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = _kubeconfig(tmp_path, f"http://127.0.0.1:{port}")
    cluster = connect(None, kubeconfig=str(kubeconfig), environ={})

    with pytest.raises(EnvironmentError_) as caught:
        preflight(cluster)

    message = str(caught.value)
    assert message.startswith(
        f"cannot reach the Kubernetes API (context recorded at http://127.0.0.1:{port})"
    )
    assert "\n" not in message and "--env local" in message


def test_missing_kubeconfig_outside_a_cluster_is_one_clear_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(EnvironmentError_, match="no usable kubeconfig"):
        connect(None, kubeconfig=str(tmp_path / "absent"), environ={})


def test_unknown_context_is_named(api: tuple[Recorded, Path]) -> None:
    _, kubeconfig = api

    with pytest.raises(EnvironmentError_, match="context prod-eu"):
        connect("prod-eu", kubeconfig=str(kubeconfig), environ={})


def test_delete_namespace_waits_until_the_api_says_not_found(
    api: tuple[Recorded, Path],
) -> None:
    state, kubeconfig = api
    state.namespaces["cdh-ci-1"] = _namespace(
        "cdh-ci-1", {names.MANAGED_BY: names.MANAGER}
    )
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    delete_namespace(cluster.core, "cdh-ci-1", timeout=10, clock=_clock())

    assert ("DELETE", "/api/v1/namespaces/cdh-ci-1") in [
        (m, p.split("?")[0]) for m, p in state.requests
    ]
    assert state.requests[-1] == ("GET", "/api/v1/namespaces/cdh-ci-1")


def test_namespace_stuck_terminating_times_out_with_its_finalizers(
    api: tuple[Recorded, Path],
) -> None:
    state, kubeconfig = api
    state.namespaces["cdh-ci-2"] = _namespace(
        "cdh-ci-2", {names.MANAGED_BY: names.MANAGER}
    )
    state.stuck.add("cdh-ci-2")
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    with pytest.raises(
        EnvironmentError_,
        match=r"cdh-ci-2 is still terminating after 5s \(finalizers kubernetes\)",
    ):
        delete_namespace(cluster.core, "cdh-ci-2", timeout=5, clock=_clock())


def test_gc_deletes_expired_harness_namespaces_only(api: tuple[Recorded, Path]) -> None:
    state, kubeconfig = api
    harness = {names.MANAGED_BY: names.MANAGER}
    state.namespaces = {
        "cdh-old": _namespace("cdh-old", harness | {names.EXPIRES: "1000"}),
        "cdh-fresh": _namespace("cdh-fresh", harness | {names.EXPIRES: "9999999999"}),
        "payments": _namespace("payments", {names.EXPIRES: "1000"}),
        "kube-system": _namespace("kube-system", {}),
    }
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    report = gc(cluster.core, clock=_clock())

    assert report.deleted == ["cdh-old"]
    assert report.kept == ["cdh-fresh"]
    assert sorted(report.skipped) == ["kube-system", "payments"]
    deleted = {
        p.split("?")[0].rsplit("/", 1)[1] for m, p in state.requests if m == "DELETE"
    }
    assert deleted == {"cdh-old"}
    listing = next(p for m, p in state.requests if p.startswith("/api/v1/namespaces?"))
    query = parse_qs(urlsplit(listing).query)
    assert query["labelSelector"] == ["app.kubernetes.io/managed-by=cd-harness"]


def test_gc_all_still_never_touches_unlabelled_namespaces(
    api: tuple[Recorded, Path],
) -> None:
    state, kubeconfig = api
    state.namespaces = {
        "cdh-fresh": _namespace(
            "cdh-fresh", {names.MANAGED_BY: names.MANAGER, names.EXPIRES: "9999999999"}
        ),
        "default": _namespace("default", {}),
    }
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    report = gc(cluster.core, include_unexpired=True, clock=_clock())

    assert report.deleted == ["cdh-fresh"] and "default" in state.namespaces


def _use_kubeconfig(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    from kubernetes.config import kube_config

    # The client reads KUBECONFIG once, at import; `cdh` starts with it set.
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


def test_gc_goes_on_past_a_namespace_it_may_not_delete(
    api: tuple[Recorded, Path],
) -> None:
    state, kubeconfig = api
    expired = {names.MANAGED_BY: names.MANAGER, names.EXPIRES: "1000"}
    state.namespaces = {
        "cdh-a": _namespace("cdh-a", expired),
        "cdh-b": _namespace("cdh-b", expired),
    }
    state.forbidden.add("cdh-a")
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    report = gc(cluster.core, clock=_clock())

    assert report.deleted == ["cdh-b"]
    assert report.failed == {
        "cdh-a": "cannot delete namespace cdh-a (the API answered 403 Forbidden) — "
        "check that the context may delete namespaces"
    }


def test_gc_that_may_not_list_namespaces_is_one_clear_error(
    api: tuple[Recorded, Path],
) -> None:
    state, kubeconfig = api
    state.forbidden.add("*list*")
    cluster = connect("recorded", kubeconfig=str(kubeconfig), environ={})

    with pytest.raises(
        EnvironmentError_,
        match=r"cannot list namespaces \(the API answered 403 Forbidden\)",
    ):
        gc(cluster.core, clock=_clock())


def test_cdh_gc_reports_each_failed_namespace_on_one_line_and_exits_2(
    api: tuple[Recorded, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state, kubeconfig = api
    state.namespaces = {
        "cdh-a": _namespace(
            "cdh-a", {names.MANAGED_BY: names.MANAGER, names.EXPIRES: "1000"}
        )
    }
    state.forbidden.add("cdh-a")
    _use_kubeconfig(monkeypatch, kubeconfig)

    code = main(["gc"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.splitlines() == [
        "cdh: error: cannot delete namespace cdh-a (the API answered 403 "
        "Forbidden) — check that the context may delete namespaces"
    ]
    assert captured.out.splitlines()[-1] == "0 deleted, 0 not yet expired, 1 failed"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("clusters: [\n", "not a valid kubeconfig: while parsing"),
        ("- just\n- a list\n", "not a valid kubeconfig: "),
        (None, "Is a directory"),
    ],
)
def test_unreadable_kubeconfig_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    problem: str,
) -> None:
    path = tmp_path / "kubeconfig"
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)
    _use_kubeconfig(monkeypatch, path)

    code = main(["gc"])

    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("cdh: error: no usable kubeconfig for the kubernetes ")
    assert f"in {path}: {problem}" in err


def test_in_cluster_fallback_without_a_token_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client reads these from the process environment, not ``environ``.
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    if Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists():
        pytest.skip("this runner is a pod with a service account token")

    with pytest.raises(
        EnvironmentError_, match="the in-cluster service account is unusable"
    ):
        connect(
            None,
            kubeconfig=str(tmp_path / "absent"),
            environ={"KUBERNETES_SERVICE_HOST": "127.0.0.1"},
        )
