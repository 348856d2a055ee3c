"""The deployed catalog service's API."""

from __future__ import annotations

SEED = {
    1: ("Espresso beans", 12.5, 40),
    2: ("Pour-over kettle", 39.0, 5),
    3: ("Paper filters", 4.2, 0),
}


def test_health_is_ok(catalog) -> None:
    response = catalog.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_listing_includes_the_seed_products(catalog) -> None:
    response = catalog.get("/products")

    assert response.status_code == 200
    listed = {
        p["id"]: (p["name"], p["price"], p["stock"])
        for p in response.json()["products"]
    }
    assert {pid: listed.get(pid) for pid in SEED} == SEED


def test_one_product_is_read_by_id(catalog) -> None:
    response = catalog.get("/products/2")

    assert response.status_code == 200
    assert response.json() == {
        "id": 2,
        "name": "Pour-over kettle",
        "price": 39.0,
        "stock": 5,
    }


def test_unknown_product_is_404_with_an_error(catalog) -> None:
    response = catalog.get("/products/987654")

    assert response.status_code == 404
    assert response.json() == {"error": "product 987654 not found"}


def test_created_product_gets_an_id_and_can_be_read(catalog) -> None:
    response = catalog.post(
        "/products", json={"name": "Milk jug", "price": 14.75, "stock": 7}
    )

    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in ("name", "price", "stock")} == {
        "name": "Milk jug",
        "price": 14.75,
        "stock": 7,
    }
    assert catalog.get(f"/products/{created['id']}").json() == created


def test_product_with_a_negative_price_is_400(catalog) -> None:
    response = catalog.post("/products", json={"name": "Bad", "price": -1, "stock": 1})

    assert response.status_code == 400
    assert "price" in response.json()["error"]


def test_malformed_json_is_400(catalog) -> None:
    response = catalog.post(
        "/products", data="{oops", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "error" in response.json()


def test_unknown_route_is_a_json_404(catalog) -> None:
    response = catalog.get("/does-not-exist")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert "error" in response.json()
