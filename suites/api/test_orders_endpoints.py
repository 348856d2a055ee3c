"""The deployed orders service's API (it calls the deployed catalog)."""

from __future__ import annotations

MISSING_PRODUCT = 987654
MISSING_ORDER = 987654321


def test_health_is_ok(orders) -> None:
    response = orders.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_placed_order_is_priced_from_the_catalog_and_stored(
    orders, new_product
) -> None:
    product = new_product(price=0.1, stock=10)

    response = orders.post("/orders", json={"product_id": product["id"], "quantity": 3})

    assert response.status_code == 201
    order = response.json()
    assert {
        k: order[k] for k in ("product_id", "quantity", "unit_price", "total", "status")
    } == {
        "product_id": product["id"],
        "quantity": 3,
        "unit_price": 0.1,
        "total": 0.3,
        "status": "placed",
    }
    assert orders.get(f"/orders/{order['id']}").json() == order


def test_placed_order_appears_in_the_listing(orders, new_product) -> None:
    product = new_product()
    placed = orders.post(
        "/orders", json={"product_id": product["id"], "quantity": 1}
    ).json()

    response = orders.get("/orders")

    assert response.status_code == 200
    assert placed in response.json()["orders"]


def test_order_for_more_than_the_stock_is_409(orders, new_product) -> None:
    product = new_product(stock=2)

    response = orders.post("/orders", json={"product_id": product["id"], "quantity": 3})

    assert response.status_code == 409
    assert "stock" in response.json()["error"]


def test_order_for_an_unknown_product_is_422(orders) -> None:
    response = orders.post(
        "/orders", json={"product_id": MISSING_PRODUCT, "quantity": 1}
    )

    assert response.status_code == 422
    assert response.json() == {"error": f"unknown product {MISSING_PRODUCT}"}


def test_order_with_a_bad_quantity_is_400(orders) -> None:
    response = orders.post("/orders", json={"product_id": 1, "quantity": 0})

    assert response.status_code == 400
    assert "quantity" in response.json()["error"]


def test_missing_order_is_404(orders) -> None:
    response = orders.get(f"/orders/{MISSING_ORDER}")

    assert response.status_code == 404
    assert "error" in response.json()
