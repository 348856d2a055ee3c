"""The catalog's routes through Flask's in-process test client."""

from __future__ import annotations

import pytest
from catalog import create_app
from flask.testing import FlaskClient


@pytest.fixture
def client() -> FlaskClient:
    return create_app().test_client()


def test_health_answers_ok(client: FlaskClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_products_lists_the_seed_data(client: FlaskClient) -> None:
    products = client.get("/products").get_json()["products"]

    assert [(p["id"], p["name"], p["stock"]) for p in products] == [
        (1, "Espresso beans", 40),
        (2, "Pour-over kettle", 5),
        (3, "Paper filters", 0),
    ]


def test_unknown_product_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/products/42")

    assert response.status_code == 404
    assert response.get_json() == {"error": "product 42 not found"}


def test_created_product_is_returned_and_then_listed(client: FlaskClient) -> None:
    response = client.post("/products", json={"name": "Mug", "price": 8, "stock": 3})

    assert response.status_code == 201
    created = response.get_json()
    assert created == {"id": 4, "name": "Mug", "price": 8.0, "stock": 3}
    assert client.get("/products/4").get_json() == created


def test_invalid_product_is_a_400_naming_the_field(client: FlaskClient) -> None:
    response = client.post("/products", json={"name": "Mug", "price": 0, "stock": 3})

    assert response.status_code == 400
    assert "price" in response.get_json()["error"]


def test_malformed_json_is_a_json_400(client: FlaskClient) -> None:
    response = client.post(
        "/products", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]


def test_unknown_route_and_wrong_method_answer_json(client: FlaskClient) -> None:
    missing = client.get("/nope")
    wrong_method = client.delete("/products/1")

    assert missing.status_code == 404
    assert missing.get_json() == {"error": "no route for GET /nope"}
    assert wrong_method.status_code == 405
    assert "DELETE" in wrong_method.get_json()["error"]


def test_app_store_is_reachable_for_provider_states() -> None:
    app = create_app(products=[{"id": 7, "name": "Tamper", "price": 20, "stock": 1}])

    app.config["CATALOG_STORE"].add("Scale", 30.0, 2)

    ids = [p["id"] for p in app.test_client().get("/products").get_json()["products"]]
    assert ids == [7, 8]
