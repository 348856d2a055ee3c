"""The storefront's routes in process, with catalog and orders faked."""

from __future__ import annotations

import pytest
import requests
from flask.testing import FlaskClient
from storefront import create_app

CATALOG = "http://catalog.test"
ORDERS = "http://orders.test"
ORDER = {
    "id": 7,
    "product_id": 1,
    "quantity": 2,
    "unit_price": 12.5,
    "total": 25.0,
    "status": "placed",
}


@pytest.fixture
def client(fake_http) -> FlaskClient:
    return create_app(CATALOG, ORDERS, session=fake_http).test_client()


def test_products_come_from_the_catalog_with_in_stock(
    client: FlaskClient, fake_http
) -> None:
    fake_http.answer(
        "GET",
        f"{CATALOG}/products",
        200,
        {"products": [{"id": 3, "name": "Filters", "price": 4.2, "stock": 0}]},
    )

    response = client.get("/shop/products")

    assert response.status_code == 200
    assert response.get_json() == {
        "products": [{"id": 3, "name": "Filters", "price": 4.2, "in_stock": False}]
    }


def test_products_are_502_when_the_catalog_is_down(client: FlaskClient) -> None:
    response = client.get("/shop/products")

    assert response.status_code == 502
    assert "catalog unavailable" in response.get_json()["error"]


def test_checkout_forwards_to_orders_and_wraps_the_order(
    client: FlaskClient, fake_http
) -> None:
    fake_http.answer("POST", f"{ORDERS}/orders", 201, ORDER)

    response = client.post("/shop/checkout", json={"product_id": 1, "quantity": 2})

    assert response.status_code == 201
    assert response.get_json() == {"order": ORDER}
    assert fake_http.calls == [
        ("POST", f"{ORDERS}/orders", {"product_id": 1, "quantity": 2})
    ]


def test_checkout_relays_the_orders_refusal(client: FlaskClient, fake_http) -> None:
    refusal = {"error": "insufficient stock for product 3: 0 available, 1 requested"}
    fake_http.answer("POST", f"{ORDERS}/orders", 409, refusal)

    response = client.post("/shop/checkout", json={"product_id": 3, "quantity": 1})

    assert response.status_code == 409
    assert response.get_json() == refusal


def test_checkout_with_bad_json_is_400_without_calling_orders(
    client: FlaskClient, fake_http
) -> None:
    response = client.post("/shop/checkout", data="nope", content_type="text/plain")

    assert response.status_code == 400
    assert fake_http.calls == []


def test_checkout_is_502_when_orders_times_out(client: FlaskClient, fake_http) -> None:
    fake_http.fail("POST", f"{ORDERS}/orders", requests.ReadTimeout("slow"))

    response = client.post("/shop/checkout", json={"product_id": 1, "quantity": 1})

    assert response.status_code == 502
    assert "orders unavailable" in response.get_json()["error"]


def test_order_is_read_from_orders(client: FlaskClient, fake_http) -> None:
    fake_http.answer("GET", f"{ORDERS}/orders/7", 200, ORDER)
    fake_http.answer("GET", f"{ORDERS}/orders/8", 404, {"error": "order 8 not found"})

    found = client.get("/shop/orders/7")
    missing = client.get("/shop/orders/8")

    assert (found.status_code, found.get_json()) == (200, {"order": ORDER})
    assert (missing.status_code, missing.get_json()) == (
        404,
        {"error": "order 8 not found"},
    )
