"""User journeys through the deployed storefront."""

from __future__ import annotations

import pytest


def test_customer_browses_buys_and_finds_the_order(shopper) -> None:
    product = next(p for p in shopper.browse() if p["in_stock"])

    placed = shopper.checkout(product["id"], 2)

    assert placed.status_code == 201, placed.text
    order = placed.json()["order"]
    assert order["status"] == "placed"
    assert (order["product_id"], order["quantity"]) == (product["id"], 2)
    assert order["unit_price"] == product["price"]
    assert order["total"] == round(product["price"] * 2, 2)

    seen = shopper.order(order["id"])
    assert seen.status_code == 200
    assert seen.json() == {"order": order}


def test_sold_out_product_cannot_be_bought(shopper) -> None:
    sold_out = [p for p in shopper.browse() if not p["in_stock"]]
    if not sold_out:
        pytest.fail("the catalog lists no sold-out product (seed product 3 is one)")

    refused = shopper.checkout(sold_out[0]["id"], 1)

    assert refused.status_code == 409
    assert "stock" in refused.json()["error"]


def test_product_not_in_the_shop_is_refused(shopper) -> None:
    unknown = max(p["id"] for p in shopper.browse()) + 1000

    refused = shopper.checkout(unknown, 1)

    assert refused.status_code == 422
    assert refused.json() == {"error": f"unknown product {unknown}"}


def test_customer_fixes_a_bad_quantity_and_then_buys(shopper) -> None:
    product = next(p for p in shopper.browse() if p["in_stock"])

    rejected = shopper.checkout(product["id"], 0)
    accepted = shopper.checkout(product["id"], 1)

    assert rejected.status_code == 400
    assert "quantity" in rejected.json()["error"]
    assert accepted.status_code == 201, accepted.text


def test_two_customers_each_see_their_own_order(shopper, another_shopper) -> None:
    first_pick, second_pick = [p for p in shopper.browse() if p["in_stock"]][:2]

    first = shopper.checkout(first_pick["id"], 1)
    second = another_shopper.checkout(second_pick["id"], 1)

    assert (first.status_code, second.status_code) == (201, 201)
    first_order, second_order = first.json()["order"], second.json()["order"]
    assert first_order["id"] != second_order["id"]
    assert shopper.order(first_order["id"]).json() == {"order": first_order}
    assert another_shopper.order(second_order["id"]).json() == {"order": second_order}


def test_an_order_number_nobody_placed_is_not_found(shopper) -> None:
    response = shopper.order(987654321)

    assert response.status_code == 404
    assert "error" in response.json()
