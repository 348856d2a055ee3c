"""The storefront against stubs of the catalog and orders.

Both stubs are served from the storefront's own pacts
(contracts/storefront-*.json), in the provider state each test names.
"""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from storefront import create_app

Stub = Callable[..., str]


def storefront(contract_stub: Stub, orders_state: str | None = None) -> FlaskClient:
    catalog = contract_stub("catalog", consumer="storefront", state="products exist")
    orders = contract_stub("orders", consumer="storefront", state=orders_state)
    return create_app(catalog, orders).test_client()


def test_shop_lists_products_with_an_in_stock_flag(contract_stub: Stub) -> None:
    response = storefront(contract_stub).get("/shop/products")

    assert response.status_code == 200
    products = response.get_json()["products"]
    assert products == [
        {"id": 1, "name": "Espresso beans", "price": 12.5, "in_stock": True}
    ]
    assert all("stock" not in product for product in products)


def test_checkout_answers_201_with_the_order(contract_stub: Stub) -> None:
    client = storefront(contract_stub, "product 1 is in stock")

    response = client.post("/shop/checkout", json={"product_id": 1, "quantity": 2})

    assert response.status_code == 201
    order = response.get_json()["order"]
    assert (order["product_id"], order["quantity"], order["status"]) == (1, 2, "placed")


def test_checkout_relays_out_of_stock_as_409(contract_stub: Stub) -> None:
    client = storefront(contract_stub, "product 3 is out of stock")

    response = client.post("/shop/checkout", json={"product_id": 3, "quantity": 1})

    assert response.status_code == 409
    assert "insufficient stock" in response.get_json()["error"]


def test_checkout_with_a_body_that_is_not_json_is_400(contract_stub: Stub) -> None:
    response = storefront(contract_stub).post(
        "/shop/checkout", data="nope", content_type="text/plain"
    )

    assert response.status_code == 400


def test_shop_shows_an_existing_order(contract_stub: Stub) -> None:
    response = storefront(contract_stub, "order 1 exists").get("/shop/orders/1")

    assert response.status_code == 200
    assert response.get_json()["order"]["id"] == 1


def test_shop_reports_a_missing_order_as_404(contract_stub: Stub) -> None:
    response = storefront(contract_stub, "order 999 does not exist").get(
        "/shop/orders/999"
    )

    assert response.status_code == 404
    assert response.get_json() == {"error": "order 999 not found"}
