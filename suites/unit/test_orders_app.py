"""The orders routes in process: catalog answers faked, SQLite in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from orders import CatalogClient, DatabaseConfigError, OrderRepository, create_app

CATALOG = "http://catalog.test"


@pytest.fixture
def client(fake_http) -> Iterator[FlaskClient]:
    fake_http.answer(
        "GET", f"{CATALOG}/products/1", 200, {"id": 1, "price": 12.5, "stock": 40}
    )
    fake_http.answer(
        "GET", f"{CATALOG}/products/3", 200, {"id": 3, "price": 4.2, "stock": 0}
    )
    fake_http.answer("GET", f"{CATALOG}/products/42", 404, {"error": "not found"})
    app = create_app(
        CATALOG,
        "sqlite:///:memory:",
        catalog=CatalogClient(CATALOG, session=fake_http),
    )
    yield app.test_client()
    app.config["ORDERS_REPOSITORY"].close()


def test_placed_order_is_priced_stored_and_readable(client: FlaskClient) -> None:
    response = client.post("/orders", json={"product_id": 1, "quantity": 3})

    assert response.status_code == 201
    order = response.get_json()
    assert order == {
        "id": order["id"],
        "product_id": 1,
        "quantity": 3,
        "unit_price": 12.5,
        "total": 37.5,
        "status": "placed",
    }
    assert response.headers["Location"] == f"/orders/{order['id']}"
    assert client.get(f"/orders/{order['id']}").get_json() == order
    assert client.get("/orders").get_json() == {"orders": [order]}


def test_unknown_product_is_422(client: FlaskClient) -> None:
    response = client.post("/orders", json={"product_id": 42, "quantity": 1})

    assert response.status_code == 422
    assert response.get_json() == {"error": "unknown product 42"}


def test_out_of_stock_is_409_and_stores_nothing(client: FlaskClient) -> None:
    response = client.post("/orders", json={"product_id": 3, "quantity": 1})

    assert response.status_code == 409
    assert "insufficient stock" in response.get_json()["error"]
    assert client.get("/orders").get_json() == {"orders": []}


def test_unreachable_catalog_is_502(client: FlaskClient, fake_http) -> None:
    fake_http.fail("GET", f"{CATALOG}/products/1", requests.ConnectTimeout("slow"))

    response = client.post("/orders", json={"product_id": 1, "quantity": 1})

    assert response.status_code == 502
    assert "catalog unavailable" in response.get_json()["error"]


def test_catalog_server_error_is_502(client: FlaskClient, fake_http) -> None:
    fake_http.answer("GET", f"{CATALOG}/products/1", 500, "Internal Server Error")

    response = client.post("/orders", json={"product_id": 1, "quantity": 1})

    assert response.status_code == 502
    assert "500" in response.get_json()["error"]


def test_invalid_request_is_400_without_asking_the_catalog(
    client: FlaskClient, fake_http
) -> None:
    bad_json = client.post("/orders", data="{", content_type="application/json")
    bad_quantity = client.post("/orders", json={"product_id": 1, "quantity": 500})

    assert bad_json.status_code == 400
    assert bad_quantity.status_code == 400
    assert "quantity" in bad_quantity.get_json()["error"]
    assert fake_http.calls == []


def test_missing_order_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/orders/999")

    assert response.status_code == 404
    assert response.get_json() == {"error": "order 999 not found"}


def test_unsupported_database_url_names_the_supported_ones() -> None:
    with pytest.raises(DatabaseConfigError, match="sqlite:///.*postgresql://"):
        OrderRepository("mysql://user:pw@127.0.0.1/orders")
