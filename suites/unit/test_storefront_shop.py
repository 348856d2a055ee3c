"""The storefront's mapping and relaying rules as pure functions."""

from __future__ import annotations

import pytest
from storefront.shop import (
    UpstreamDataError,
    checkout_request,
    relayed_status,
    shop_product,
    shop_products,
)


def test_stock_becomes_in_stock_and_the_count_is_hidden() -> None:
    listed = shop_product({"id": 2, "name": "Kettle", "price": 39.0, "stock": 5})

    assert listed == {"id": 2, "name": "Kettle", "price": 39.0, "in_stock": True}


def test_zero_stock_is_not_in_stock() -> None:
    listed = shop_product({"id": 3, "name": "Filters", "price": 4.2, "stock": 0})

    assert listed["in_stock"] is False


def test_catalog_listing_is_mapped_in_order() -> None:
    body = {
        "products": [
            {"id": 1, "name": "A", "price": 1.0, "stock": 1},
            {"id": 2, "name": "B", "price": 2.0, "stock": 0},
        ]
    }

    assert [(p["id"], p["in_stock"]) for p in shop_products(body)] == [
        (1, True),
        (2, False),
    ]


@pytest.mark.parametrize(
    "body",
    [{}, {"products": "none"}, [], {"products": [{"id": 1, "name": "A"}]}],
)
def test_unusable_catalog_listing_is_an_upstream_data_error(body: object) -> None:
    with pytest.raises(UpstreamDataError):
        shop_products(body)


def test_checkout_forwards_only_the_order_fields() -> None:
    forwarded = checkout_request({"product_id": 1, "quantity": 2, "coupon": "FREE"})

    assert forwarded == {"product_id": 1, "quantity": 2}
    assert checkout_request(["product_id", 1]) is None
    assert checkout_request(None) is None


@pytest.mark.parametrize(
    ("orders_status", "shown"),
    [(400, 400), (409, 409), (422, 422), (502, 502), (504, 504), (500, 502)],
)
def test_orders_errors_are_relayed_and_crashes_become_502(
    orders_status: int, shown: int
) -> None:
    assert relayed_status(orders_status) == shown
