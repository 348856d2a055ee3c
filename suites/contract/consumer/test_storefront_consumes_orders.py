"""storefront → orders: checkout and order look-up.

The tests drive the real storefront app (its orders ``Upstream`` client,
``checkout_request`` and error relaying) through Flask's test client, with
both upstream URLs pointing at the Pact mock server. Passing tests write
contracts/storefront-orders.json.
"""

from __future__ import annotations

from typing import Any

from pact import match
from storefront import create_app

CONSUMER, PROVIDER = "storefront", "orders"


def order_body(order_id: int, product_id: int, quantity: int, unit: float) -> Any:
    return {
        "id": match.int(order_id),
        "product_id": match.int(product_id),
        "quantity": match.int(quantity),
        "unit_price": match.number(unit),
        "total": match.number(round(unit * quantity, 2)),
        "status": "placed",
    }


def test_storefront_checkout_places_an_order(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("an order for 2 of product 1")
        .given("product 1 is in stock", id=1)
        .with_request("POST", "/orders")
        .with_header("Content-Type", "application/json")
        .with_body({"product_id": 1, "quantity": 2})
        .will_respond_with(201)
        .with_header("Content-Type", "application/json")
        .with_body(order_body(1, 1, 2, 12.5))
    )

    with pact.serve(addr="127.0.0.1") as server:
        app = create_app(str(server.url), str(server.url))
        response = app.test_client().post(
            "/shop/checkout", json={"product_id": 1, "quantity": 2}
        )

    assert response.status_code == 201
    order = response.get_json()["order"]
    assert order["status"] == "placed"
    assert (order["product_id"], order["quantity"], order["total"]) == (1, 2, 25.0)


def test_storefront_relays_out_of_stock(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("an order for product 3, which is out of stock")
        .given("product 3 is out of stock", id=3)
        .with_request("POST", "/orders")
        .with_header("Content-Type", "application/json")
        .with_body({"product_id": 3, "quantity": 1})
        .will_respond_with(409)
        .with_header("Content-Type", "application/json")
        .with_body(
            {"error": match.str("insufficient stock for product 3: 0 available")}
        )
    )

    with pact.serve(addr="127.0.0.1") as server:
        app = create_app(str(server.url), str(server.url))
        response = app.test_client().post(
            "/shop/checkout", json={"product_id": 3, "quantity": 1}
        )

    assert response.status_code == 409
    assert "insufficient stock" in response.get_json()["error"]


def test_storefront_shows_an_order(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for order 1")
        .given("order 1 exists", id=1)
        .with_request("GET", "/orders/1")
        .will_respond_with(200)
        .with_header("Content-Type", "application/json")
        .with_body(order_body(1, 1, 2, 12.5))
    )

    with pact.serve(addr="127.0.0.1") as server:
        app = create_app(str(server.url), str(server.url))
        response = app.test_client().get("/shop/orders/1")

    assert response.status_code == 200
    assert response.get_json()["order"]["id"] == 1


def test_storefront_reports_a_missing_order(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for order 999")
        .given("order 999 does not exist", id=999)
        .with_request("GET", "/orders/999")
        .will_respond_with(404)
        .with_header("Content-Type", "application/json")
        .with_body({"error": match.str("order 999 not found")})
    )

    with pact.serve(addr="127.0.0.1") as server:
        app = create_app(str(server.url), str(server.url))
        response = app.test_client().get("/shop/orders/999")

    assert response.status_code == 404
    assert response.get_json() == {"error": "order 999 not found"}
