"""HTTP clients for each deployed service, built on the ``service_url`` fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

TIMEOUT_SECONDS = 10.0


class ServiceClient:
    """Calls one deployed service; every call has a timeout."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self._session.get(self.base_url + path, timeout=TIMEOUT_SECONDS)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self._session.post(
            self.base_url + path, json=json, timeout=TIMEOUT_SECONDS, **kwargs
        )

    def close(self) -> None:
        self._session.close()


def _client(service_url: Callable[[str], str], name: str) -> Iterator[ServiceClient]:
    client = ServiceClient(service_url(name))
    yield client
    client.close()


@pytest.fixture
def catalog(service_url: Callable[[str], str]) -> Iterator[ServiceClient]:
    """The deployed catalog service."""
    yield from _client(service_url, "catalog")


@pytest.fixture
def orders(service_url: Callable[[str], str]) -> Iterator[ServiceClient]:
    """The deployed orders service."""
    yield from _client(service_url, "orders")


@pytest.fixture
def storefront(service_url: Callable[[str], str]) -> Iterator[ServiceClient]:
    """The deployed storefront."""
    yield from _client(service_url, "storefront")


@pytest.fixture
def new_product(catalog: ServiceClient) -> Callable[..., dict[str, Any]]:
    """Add a product of this test's own to the catalog and return it.

    Tests that need a product with a known price or stock create one, so
    they depend neither on the seed data nor on each other.
    """

    def create(price: float = 10.0, stock: int = 10) -> dict[str, Any]:
        response = catalog.post(
            "/products", json={"name": "api-test item", "price": price, "stock": stock}
        )
        assert response.status_code == 201, response.text
        return response.json()

    return create
