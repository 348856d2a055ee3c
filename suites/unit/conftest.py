"""In-process fakes for the unit layer: HTTP answers without any socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests


class FakeResponse:
    """The parts of :class:`requests.Response` the services read."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, str):
            raise ValueError("not JSON")
        return self._body


class FakeSession:
    """Answers requests from a table of ``(method, url)`` → status and body.

    An entry whose value is an exception raises it, as a real session does
    when a service is down. Every call is recorded in ``calls``.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}
        self.calls: list[tuple[str, str, Any]] = []

    def answer(self, method: str, url: str, status: int, body: Any) -> None:
        self.routes[(method, url)] = (status, body)

    def fail(self, method: str, url: str, error: Exception) -> None:
        self.routes[(method, url)] = error

    def request(
        self, method: str, url: str, json: Any = None, timeout: float | None = None
    ) -> FakeResponse:
        assert timeout is not None, "every outbound call needs a timeout"
        self.calls.append((method, url, json))
        route = self.routes.get((method, url))
        if route is None:
            raise requests.ConnectionError(f"no fake answer for {method} {url}")
        if isinstance(route, Exception):
            raise route
        return FakeResponse(*route)

    def get(self, url: str, timeout: float | None = None) -> FakeResponse:
        return self.request("GET", url, timeout=timeout)


@pytest.fixture
def fake_http() -> Iterator[FakeSession]:
    """A fresh fake HTTP session; tell it what to answer with ``answer()``."""
    yield FakeSession()
