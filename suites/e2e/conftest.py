"""A customer's view of the deployed system: the storefront, nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

TIMEOUT_SECONDS = 10.0


class Shopper:
    """One customer's session against the storefront."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def browse(self) -> list[dict[str, Any]]:
        """The products on sale; fails the test unless the shop answers 200."""
        response = self.session.get(
            f"{self.base_url}/shop/products", timeout=TIMEOUT_SECONDS
        )
        assert response.status_code == 200, response.text
        return response.json()["products"]

    def checkout(self, product_id: Any, quantity: Any) -> requests.Response:
        return self.session.post(
            f"{self.base_url}/shop/checkout",
            json={"product_id": product_id, "quantity": quantity},
            timeout=TIMEOUT_SECONDS,
        )

    def order(self, order_id: int) -> requests.Response:
        return self.session.get(
            f"{self.base_url}/shop/orders/{order_id}", timeout=TIMEOUT_SECONDS
        )

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def shopper(service_url: Callable[[str], str]) -> Iterator[Shopper]:
    """A customer using the deployed storefront."""
    customer = Shopper(service_url("storefront"))
    yield customer
    customer.close()


@pytest.fixture
def another_shopper(service_url: Callable[[str], str]) -> Iterator[Shopper]:
    """A second customer, with a session of their own."""
    customer = Shopper(service_url("storefront"))
    yield customer
    customer.close()
