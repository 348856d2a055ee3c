"""The deployed storefront's API (it fronts the deployed catalog and orders)."""

from __future__ import annotations

MISSING_PRODUCT = 987654
MISSING_ORDER = 987654321


def test_health_is_ok(storefront) -> None:
    response = storefront.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_products_show_in_stock_instead_of_counts(storefront, new_product) -> None:
    sold_out = new_product(stock=0)
    available = new_product(stock=1)

    response = storefront.get("/shop/products")

    assert response.status_code == 200
    listed = {p["id"]: p for p in response.json()["products"]}
    assert listed[sold_out["id"]] == {
        "id": sold_out["id"],
        "name": sold_out["name"],
        "price": sold_out["price"],
        "in_stock": False,
    }
    assert listed[available["id"]]["in_stock"] is True


def test_checkout_wraps_the_placed_order(storefront, new_product) -> None:
    product = new_product(price=12.5)

    response = storefront.post(
        "/shop/checkout", json={"product_id": product["id"], "quantity": 2}
    )

    assert response.status_code == 201
    order = response.json()["order"]
    assert (order["product_id"], order["quantity"], order["total"]) == (
        product["id"],
        2,
        25.0,
    )


def test_checkout_with_bad_json_is_400(storefront) -> None:
    response = storefront.post(
        "/shop/checkout", data="not json", headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 400
    assert "error" in response.json()


def test_checkout_relays_unknown_product_as_422(storefront) -> None:
    response = storefront.post(
        "/shop/checkout", json={"product_id": MISSING_PRODUCT, "quantity": 1}
    )

    assert response.status_code == 422
    assert response.json() == {"error": f"unknown product {MISSING_PRODUCT}"}


def test_placed_order_is_readable_through_the_shop(storefront, new_product) -> None:
    product = new_product()
    order = storefront.post(
        "/shop/checkout", json={"product_id": product["id"], "quantity": 1}
    ).json()["order"]

    response = storefront.get(f"/shop/orders/{order['id']}")

    assert response.status_code == 200
    assert response.json() == {"order": order}


def test_missing_order_is_404(storefront) -> None:
    response = storefront.get(f"/shop/orders/{MISSING_ORDER}")

    assert response.status_code == 404
    assert "error" in response.json()
