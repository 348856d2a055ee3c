"""The orders service with a real SQLite database and a catalog stub.

The app is the real one; its calls to the catalog go over HTTP to a stub
served from contracts/orders-catalog.json in the provider state each test
names, so these tests and the catalog can only agree through the contract.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from orders import create_app

Stub = Callable[..., str]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "orders.sqlite"


@pytest.fixture
def orders_app(
    contract_stub: Stub, database: Path
) -> Iterator[Callable[[str | None], FlaskClient]]:
    made: list[Flask] = []

    def client(catalog_state: str | None) -> FlaskClient:
        catalog = contract_stub("catalog", consumer="orders", state=catalog_state)
        app = create_app(catalog, f"sqlite:///{database}")
        made.append(app)
        return app.test_client()

    yield client
    for app in made:
        app.config["ORDERS_REPOSITORY"].close()


def place(client: FlaskClient, body: Any) -> tuple[int, Any]:
    response = client.post("/orders", json=body)
    return response.status_code, response.get_json()


def test_placed_order_is_stored_and_readable(
    orders_app: Callable[[str | None], FlaskClient], database: Path
) -> None:
    client = orders_app("product 1 exists")

    status, order = place(client, {"product_id": 1, "quantity": 2})

    assert status == 201
    assert order == {
        "id": order["id"],
        "product_id": 1,
        "quantity": 2,
        "unit_price": 12.5,
        "total": 25.0,
        "status": "placed",
    }
    assert client.get(f"/orders/{order['id']}").get_json() == order
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT product_id, quantity, unit_price_cents, total_cents, status "
            "FROM orders WHERE id = ?",
            (order["id"],),
        ).fetchall()
    assert rows == [(1, 2, 1250, 2500, "placed")]


def test_orders_survive_a_restart_of_the_service(
    orders_app: Callable[[str | None], FlaskClient],
) -> None:
    _, first = place(orders_app("product 1 exists"), {"product_id": 1, "quantity": 1})

    restarted = orders_app("product 1 exists")

    assert restarted.get(f"/orders/{first['id']}").get_json() == first
    assert restarted.get("/orders").get_json() == {"orders": [first]}


def test_order_ids_increase_and_the_list_keeps_order(
    orders_app: Callable[[str | None], FlaskClient],
) -> None:
    client = orders_app("product 1 exists")

    placed = [place(client, {"product_id": 1, "quantity": q})[1] for q in (1, 3)]

    assert placed[0]["id"] < placed[1]["id"]
    assert client.get("/orders").get_json() == {"orders": placed}


def test_unknown_order_is_404(orders_app: Callable[[str | None], FlaskClient]) -> None:
    response = orders_app("product 1 exists").get("/orders/4242")

    assert response.status_code == 404
    assert "4242" in response.get_json()["error"]


def test_product_unknown_to_the_catalog_is_422(
    orders_app: Callable[[str | None], FlaskClient], database: Path
) -> None:
    client = orders_app("product 99 does not exist")

    status, body = place(client, {"product_id": 99, "quantity": 1})

    assert (status, body) == (422, {"error": "unknown product 99"})
    assert client.get("/orders").get_json() == {"orders": []}


def test_product_out_of_stock_is_409(
    orders_app: Callable[[str | None], FlaskClient],
) -> None:
    client = orders_app("product 3 is out of stock")

    status, body = place(client, {"product_id": 3, "quantity": 1})

    assert status == 409
    assert "insufficient stock" in body["error"]
    assert client.get("/orders").get_json() == {"orders": []}


def test_quantity_above_the_catalog_stock_is_409(
    orders_app: Callable[[str | None], FlaskClient],
) -> None:
    # The pact's example for product 1 has 40 in stock.
    status, body = place(
        orders_app("product 1 exists"), {"product_id": 1, "quantity": 41}
    )

    assert status == 409
    assert "40 available, 41 requested" in body["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"product_id": 1},
        {"quantity": 1},
        {"product_id": "1", "quantity": 1},
        {"product_id": 1, "quantity": 0},
        {"product_id": 1, "quantity": 101},
        {"product_id": 1, "quantity": True},
        [1, 2],
    ],
    ids=[
        "no-quantity",
        "no-product",
        "string-id",
        "zero",
        "over-100",
        "bool",
        "not-an-object",
    ],
)
def test_invalid_order_is_400_and_nothing_is_stored(
    orders_app: Callable[[str | None], FlaskClient], body: Any
) -> None:
    client = orders_app("product 1 exists")

    status, answer = place(client, body)

    assert status == 400
    assert answer["error"]
    assert client.get("/orders").get_json() == {"orders": []}


def test_body_that_is_not_json_is_400(
    orders_app: Callable[[str | None], FlaskClient],
) -> None:
    response = orders_app("product 1 exists").post(
        "/orders", data="product=1", content_type="text/plain"
    )

    assert response.status_code == 400


def test_unreachable_catalog_is_502(database: Path) -> None:
    # A loopback port nobody listens on: bound, then released.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = create_app(f"http://127.0.0.1:{closed_port}", f"sqlite:///{database}")
    try:
        status, body = place(app.test_client(), {"product_id": 1, "quantity": 1})
    finally:
        app.config["ORDERS_REPOSITORY"].close()

    assert status == 502
    assert "catalog unavailable" in body["error"]
