"""The kubernetes: section of system.yaml, log keys and port-forwarding."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from harness.environments.kubernetes.logs import redact, s3_log_key
from harness.environments.kubernetes.portforward import PortForward
from harness.environments.kubernetes.settings import DEFAULT_EXECUTOR, load_settings
from harness.errors import ConfigError

SYSTEM = """\
services:
  catalog: {path: ., run: [python]}
kubernetes:
  context: kind-cdh
  access: port-forward
  registry:
    destination: registry.invalid:5000/shop
    insecure: true
  builder:
    executor: example.invalid/kaniko:fork
    cache: true
    cache_repo: registry.invalid:5000/shop/cache
    build_args: {PIP_INDEX_URL: "https://pypi.invalid/simple"}
    timeout: 10m
    egress_ports: [443, 5000]
  tenant:
    ttl: 30m
    runner_namespace: ci
    node_selector: {tenant: shop}
    tolerations:
      - {key: tenant, operator: Equal, value: shop, effect: NoSchedule}
    runtime_class: gvisor
  services:
    catalog: {replicas: 2, run_as_user: 1000}
  logs: {bucket: run-logs, prefix: cdh, endpoint: "http://127.0.0.1:9000"}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "system.yaml"
    path.write_text(text)
    return path


def test_full_section_is_read(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, SYSTEM), ("catalog",))

    assert settings.context == "kind-cdh" and settings.access == "port-forward"
    assert (
        settings.registry.insecure
        and settings.destination == "registry.invalid:5000/shop"
    )
    assert settings.builder.executor == "example.invalid/kaniko:fork"
    assert settings.builder.timeout == 600 and settings.builder.egress_ports == (
        443,
        5000,
    )
    assert settings.tenant.ttl == 1800 and settings.tenant.runtime_class == "gvisor"
    assert settings.tenant.tolerations[0]["effect"] == "NoSchedule"
    assert settings.service("catalog").replicas == 2
    assert settings.service("other").run_as_user == 10001
    assert settings.logs is not None and settings.logs.bucket == "run-logs"


def test_section_is_optional(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, "services:\n  a: {path: ., run: [x]}\n"))

    assert settings.builder.executor == DEFAULT_EXECUTOR
    assert settings.registry.destination is None


@pytest.mark.parametrize(
    ("snippet", "line", "message"),
    [
        (
            "kubernetes:\n  acess: auto\n",
            2,
            "unknown key 'acess' in kubernetes — did you mean 'access'?",
        ),
        ("kubernetes:\n  access: tunnel\n", 2, "unknown access 'tunnel'"),
        (
            "kubernetes:\n  tenant:\n    ttl: soon\n",
            3,
            "kubernetes.tenant.ttl must be a positive duration",
        ),
        ("kubernetes:\n  services:\n    billing: {}\n", 3, "unknown service 'billing'"),
        (
            "kubernetes:\n  builder:\n    egress_ports: [http]\n",
            3,
            "must be a whole number",
        ),
    ],
)
def test_mistakes_name_file_and_line(
    tmp_path: Path, snippet: str, line: int, message: str
) -> None:
    path = _write(tmp_path, snippet + "services:\n  catalog: {path: ., run: [x]}\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(path, ("catalog",))

    assert caught.value.line == line
    assert message in str(caught.value)


def test_log_key_layout() -> None:
    when = datetime(2025, 3, 7, 23, 30, tzinfo=timezone.utc)

    assert (
        s3_log_key("cdh/logs/", when, "run-1", "orders")
        == "cdh/logs/2025/03/07/run-1/orders.log"
    )
    assert s3_log_key("", when, "run-1", "orders") == "2025/03/07/run-1/orders.log"


def test_redact_masks_every_secret() -> None:
    assert redact("user bot pw hunter22 token hunter22", ["hunter22", ""]) == (
        "user bot pw ******** token ********"
    )


def test_port_forward_carries_bytes_both_ways() -> None:
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen(1)

    def echo() -> None:
        conn, _ = upstream.accept()
        with conn:
            conn.sendall(b"pong:" + conn.recv(100))

    server = threading.Thread(target=echo, daemon=True)
    server.start()
    forward = PortForward(
        None,
        "ns",
        "pod-1",
        8080,
        open_remote=lambda: socket.create_connection(upstream.getsockname()),
    )
    try:
        with socket.create_connection(
            ("127.0.0.1", forward.local_port), timeout=5
        ) as conn:
            conn.sendall(b"ping")
            assert conn.recv(100) == b"pong:ping"
    finally:
        forward.close()
        upstream.close()
        server.join(timeout=5)

    assert forward.url == f"http://127.0.0.1:{forward.local_port}"
