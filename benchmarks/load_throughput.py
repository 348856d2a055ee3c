"""Throughput of the load stage against a fast keep-alive loopback endpoint.

Side by side, in one run, against one gevent WSGI endpoint on 127.0.0.1:

- the load stage's runner (harness.load.runner) vs bare ``locust`` with the
  same user class and settings (target: ratio >= 0.95),
- ``workers: 2`` vs ``workers: 1`` (target: ratio >= 1.5 on a machine with
  3+ free cores),
- ``wrk`` for scale, where it is installed.

Usage: ``python benchmarks/load_throughput.py [SECONDS] [USERS]``
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.load.final import read_final_stats
from harness.load.runner import LocustRun, run_locust

# TCP_NODELAY on the listener (inherited by accepted sockets on Linux):
# without it, Nagle and delayed ACKs cap each connection near 25 requests/s.
SERVER = """
from gevent import socket
import sys
from gevent.pywsgi import WSGIServer
def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(512)
WSGIServer(listener, app, log=None).serve_forever()
"""
USER = """
from locust import FastHttpUser, constant, task
class Hammer(FastHttpUser):
    wait_time = constant(0)
    @task
    def hit(self):
        self.client.get("/")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stage_rps(folder: Path, host: str, seconds: int, users: int, workers: int) -> float:
    run = LocustRun(
        locustfile=folder / "locustfile.py",
        host=host,
        users=users,
        spawn_rate=users,
        duration=seconds,
        csv_prefix=folder / f"stage-w{workers}",
        html=folder / f"stage-w{workers}.html",
        cwd=folder,
        workers=workers,
    )
    run_locust(run)
    return read_final_stats(run.json_file)["Aggregated"].rps


def bare_rps(folder: Path, host: str, seconds: int, users: int) -> float:
    prefix = folder / "bare"
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(folder / "locustfile.py"),
         "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--host", host, "--json-file", str(prefix), "--only-summary"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    return read_final_stats(Path(f"{prefix}.json"))["Aggregated"].rps


def wrk_rps(host: str, seconds: int) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    output = subprocess.run(
        [wrk, "-t2", "-c20", f"-d{seconds}s", host + "/"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in output.splitlines() if x.startswith("Requests/sec"))
    return float(line.split()[1])


def main() -> int:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    folder = Path(tempfile.mkdtemp(prefix="cdh-bench-"))
    (folder / "locustfile.py").write_text(USER)
    (folder / "server.py").write_text(SERVER)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(folder / "server.py"), str(port)])
    try:
        wait_for(port)
        host = f"http://127.0.0.1:{port}"
        figures = {
            "stage": stage_rps(folder, host, seconds, users, 0),
            "bare": bare_rps(folder, host, seconds, users),
            "workers_1": stage_rps(folder, host, seconds, users, 1),
            "workers_2": stage_rps(folder, host, seconds, users, 2),
            "wrk": wrk_rps(host, seconds),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    ratios = {
        "stage / bare (target >= 0.95)": figures["stage"] / figures["bare"],
        "workers 2 / workers 1 (target >= 1.5)": figures["workers_2"]
        / figures["workers_1"],
    }
    if figures["wrk"]:
        ratios["stage / wrk (for scale)"] = figures["stage"] / figures["wrk"]
    report = {"cpus": os.cpu_count(), "seconds": seconds, "users": users,
              "rps": figures, "ratios": ratios}  # fmt: skip
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
