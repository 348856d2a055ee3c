"""A fast keep-alive HTTP endpoint on loopback for live locust runs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# gevent's WSGI server: keep-alive, cheap per request; /err answers 500.
SERVER = """
import sys
from gevent.pywsgi import WSGIServer

def app(environ, start_response):
    if environ["PATH_INFO"] == "/err":
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None).serve_forever()
"""

LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class Shopper(FastHttpUser):
    wait_time = constant(0.005)

    @task
    def browse(self):
        self.client.get("/products", name="/products")
"""

FAILING_LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class Shopper(FastHttpUser):
    wait_time = constant(0.005)

    @task
    def checkout(self):
        self.client.get("/err", name="/checkout")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    """The base URL of a keep-alive endpoint; stopped after the test."""
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    process = subprocess.Popen([sys.executable, str(script), str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
