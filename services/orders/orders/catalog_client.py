"""How the orders service asks the catalog about a product."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

TIMEOUT_SECONDS = 2.0


class CatalogUnavailableError(Exception):
    """The catalog could not be reached or failed (5xx, not JSON)."""


class CatalogClient:
    """Reads products from the catalog's ``GET /products/<id>``.

    Args:
        base_url: the catalog's base URL, e.g. ``http://127.0.0.1:8081``.
        session: the HTTP session to use; tests pass an in-process fake.
        timeout: seconds to wait for connect and for the answer.
    """

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            # The server is threaded; one pooled connection per busy thread.
            session.mount("http://", HTTPAdapter(pool_maxsize=32))
            session.mount("https://", HTTPAdapter(pool_maxsize=32))
        self.session = session

    def product(self, product_id: int) -> dict[str, Any] | None:
        """The catalog's product ``product_id``, or None when it has none.

        Raises:
            CatalogUnavailableError: no answer in time, a 5xx, an unexpected
                status, or a body that is not a JSON object.
        """
        url = f"{self.base_url}/products/{product_id}"
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise CatalogUnavailableError(
                f"catalog unavailable at {self.base_url}: {type(error).__name__}"
            ) from error

        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise CatalogUnavailableError(
                f"catalog answered {response.status_code} for product {product_id}"
            )
        try:
            body = response.json()
        except ValueError as error:
            raise CatalogUnavailableError(
                f"catalog answered product {product_id} with a body that is not JSON"
            ) from error
        if not isinstance(body, dict):
            raise CatalogUnavailableError(
                f"catalog answered product {product_id} with a non-object body"
            )
        return body
