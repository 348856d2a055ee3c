"""orders → catalog: what the orders service needs from GET /products/<id>.

Each test drives the orders service's real catalog client
(``orders.catalog_client.CatalogClient``) and its pricing against the Pact
mock server; passing tests write contracts/orders-catalog.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from orders.catalog_client import CatalogClient
from orders.pricing import InsufficientStockError, quote
from pact import match

CONSUMER, PROVIDER = "orders", "catalog"


def product_body(product_id: int, name: str, price: float, stock: int) -> Any:
    """A catalog product, matched by type: orders reads price and stock."""
    return {
        "id": match.int(product_id),
        "name": match.str(name),
        "price": match.number(price),
        "stock": match.int(stock),
    }


def test_orders_prices_an_existing_product(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for product 1")
        .given("product 1 exists", id=1)
        .with_request("GET", "/products/1")
        .will_respond_with(200)
        .with_header("Content-Type", "application/json")
        .with_body(product_body(1, "Espresso beans", 12.5, 40))
    )

    with pact.serve(addr="127.0.0.1") as server:
        product = CatalogClient(str(server.url)).product(1)

    assert product == {"id": 1, "name": "Espresso beans", "price": 12.5, "stock": 40}
    price = quote(1, product, 2)
    assert (price.unit_price_cents, price.total_cents) == (1250, 2500)


def test_orders_sees_a_missing_product_as_none(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for product 99")
        .given("product 99 does not exist", id=99)
        .with_request("GET", "/products/99")
        .will_respond_with(404)
        .with_header("Content-Type", "application/json")
        .with_body({"error": match.str("product 99 not found")})
    )

    with pact.serve(addr="127.0.0.1") as server:
        product = CatalogClient(str(server.url)).product(99)

    assert product is None


def test_orders_refuses_a_product_out_of_stock(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for product 3")
        .given("product 3 is out of stock", id=3)
        .with_request("GET", "/products/3")
        .will_respond_with(200)
        .with_header("Content-Type", "application/json")
        .with_body(product_body(3, "Paper filters", 4.2, 0))
    )

    with pact.serve(addr="127.0.0.1") as server:
        product = CatalogClient(str(server.url)).product(3)

    assert product is not None and product["stock"] == 0
    with pytest.raises(InsufficientStockError, match="0 available, 1 requested"):
        quote(3, product, 1)
