"""Serving a provider app in-process on loopback."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.contracts.serving import serve_wsgi

from .helpers import listening_sockets, loopback_session
from .test_provider import PRODUCT, Catalog


def test_serve_wsgi_listens_on_loopback_and_stops() -> None:
    catalog = Catalog()
    catalog.products = {1: PRODUCT}
    with serve_wsgi(catalog) as url:
        port = int(url.rsplit(":", 1)[1])
        assert ("127.0.0.1", port) in listening_sockets(os.getpid())
        assert loopback_session().get(f"{url}/products/1").json() == PRODUCT

    assert ("127.0.0.1", port) not in listening_sockets(os.getpid())


def test_serve_wsgi_serves_requests_concurrently() -> None:
    # Each request waits for the other: a one-at-a-time server would break
    # the barrier and answer 500.
    both_in = threading.Barrier(2, timeout=5)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        both_in.wait()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    with serve_wsgi(app) as url, ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda i: loopback_session().get(f"{url}/{i}").text, range(2))
        )

    assert answers == ["ok", "ok"]
