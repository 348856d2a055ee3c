"""HTTP calls from the storefront to the catalog and orders services."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

CATALOG_TIMEOUT_SECONDS = 2.0
# Orders itself waits up to 2 s for the catalog before it answers.
ORDERS_TIMEOUT_SECONDS = 5.0


class UpstreamUnavailableError(Exception):
    """A service could not be reached or answered with something not JSON."""


def new_session() -> requests.Session:
    """A session whose pool serves every thread of the threaded server."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=32))
    session.mount("https://", HTTPAdapter(pool_maxsize=32))
    return session


class Upstream:
    """One service behind the storefront.

    Args:
        name: the service's name, used in error messages.
        base_url: its base URL, e.g. ``http://127.0.0.1:8082``.
        session: the HTTP session; tests pass an in-process fake.
        timeout: seconds to wait for connect and for the answer.
    """

    def __init__(
        self, name: str, base_url: str, session: requests.Session, timeout: float
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout

    def get(self, path: str) -> tuple[int, Any]:
        """``GET path``: the status and the decoded JSON body."""
        return self._call("GET", path, None)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        """``POST path`` with a JSON body: the status and the decoded body."""
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        try:
            response = self.session.request(
                method, self.base_url + path, json=body, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise UpstreamUnavailableError(
                f"{self.name} unavailable at {self.base_url}: {type(error).__name__}"
            ) from error
        try:
            return response.status_code, response.json()
        except ValueError:
            raise UpstreamUnavailableError(
                f"{self.name} answered {method} {path} with {response.status_code} "
                "and a body that is not JSON"
            ) from None
