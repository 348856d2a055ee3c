"""A recorded Pact Broker replayed over real HTTP on 127.0.0.1.

Answers each request whose method and path appear in the cassette with the
recorded response ({base} replaced by its own URL), 404 otherwise, and keeps
every request it received for the test to inspect.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CASSETTE = Path(__file__).parent / "data" / "broker-cassette.json"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Broker:
    url: str
    received: list[Received] = field(default_factory=list)
    token: str | None = None

    def calls(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.received]

    def last(self, method: str, path: str) -> Received:
        return [r for r in self.received if (r.method, r.path) == (method, path)][-1]


@contextmanager
def replayed_broker(token: str | None = None) -> Iterator[Broker]:
    recorded = json.loads(CASSETTE.read_text())["interactions"]

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            broker.received.append(
                Received(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
            )
            if token and self.headers.get("Authorization") != f"Bearer {token}":
                return self._send(401, {"error": "Unauthorized"})
            for entry in recorded:
                request = entry["request"]
                if (request["method"], request["path"]) == (self.command, split.path):
                    response = entry["response"]
                    return self._send(response["status"], response["body"])
            self._send(404, {"error": f"no recording for {self.command} {split.path}"})

        def _send(self, status: int, body: Any) -> None:
            text = json.dumps(body).replace("{base}", broker.url)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/hal+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    broker = Broker(f"http://127.0.0.1:{server.server_port}", token=token)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield broker
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
