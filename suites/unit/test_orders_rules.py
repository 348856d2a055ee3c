"""Order validation, pricing and stock rules as pure functions."""

from __future__ import annotations

import pytest
from orders.pricing import (
    CatalogDataError,
    InsufficientStockError,
    check_stock,
    from_cents,
    quote,
    to_cents,
)
from orders.repository import DatabaseConfigError, mask_password, sqlite_path
from orders.validation import ValidationError, validate_order_request


def test_valid_order_request_is_accepted() -> None:
    wanted = validate_order_request({"product_id": 2, "quantity": 100})

    assert (wanted.product_id, wanted.quantity) == (2, 100)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": "1", "quantity": 1}, "product_id"),
        ({"product_id": 0, "quantity": 1}, "product_id"),
        ({"product_id": True, "quantity": 1}, "product_id"),
        ({"product_id": 1}, "quantity"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": 101}, "quantity"),
        ({"product_id": 1, "quantity": 2.0}, "quantity"),
    ],
)
def test_invalid_order_request_is_rejected_naming_the_field(
    body: dict, field: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{field} must"):
        validate_order_request(body)


def test_order_request_must_be_an_object() -> None:
    with pytest.raises(ValidationError, match="JSON object"):
        validate_order_request("product_id=1")


@pytest.mark.parametrize(
    ("price", "cents"),
    [(12.5, 1250), (4.2, 420), (0.1, 10), (0.29, 29), (39, 3900)],
)
def test_prices_become_whole_cents(price: float, cents: int) -> None:
    assert to_cents(price) == cents


def test_total_is_exact_in_cents_and_shown_with_two_decimals() -> None:
    price = quote(1, {"price": 0.1, "stock": 10}, 3)

    assert (price.unit_price_cents, price.total_cents) == (10, 30)
    assert from_cents(price.total_cents) == 0.3
    assert from_cents(quote(3, {"price": 4.2, "stock": 9}, 7).total_cents) == 29.4


def test_order_for_exactly_the_stock_is_allowed() -> None:
    check_stock(2, stock=5, quantity=5)


def test_order_for_more_than_the_stock_is_refused_with_the_numbers() -> None:
    with pytest.raises(InsufficientStockError) as refused:
        quote(2, {"price": 39.0, "stock": 5}, 6)

    assert str(refused.value) == (
        "insufficient stock for product 2: 5 available, 6 requested"
    )


@pytest.mark.parametrize(
    "product",
    [
        {"stock": 3},
        {"price": "12.50", "stock": 3},
        {"price": 0, "stock": 3},
        {"price": 12.5, "stock": "3"},
        {"price": 12.5},
        ["not", "an", "object"],
    ],
)
def test_unusable_catalog_product_is_a_catalog_data_error(product: object) -> None:
    with pytest.raises(CatalogDataError):
        quote(1, product, 1)


def test_sqlite_urls_map_to_relative_absolute_and_memory_paths() -> None:
    assert sqlite_path("sqlite:///orders.sqlite") == "orders.sqlite"
    assert sqlite_path("sqlite:////var/data/o.sqlite") == "/var/data/o.sqlite"
    assert sqlite_path("sqlite:///:memory:") == ":memory:"
    with pytest.raises(DatabaseConfigError):
        sqlite_path("sqlite:///")


def test_database_passwords_are_masked() -> None:
    masked = mask_password("postgresql://shop:s3cret@127.0.0.1:5432/orders")

    assert masked == "postgresql://shop:***@127.0.0.1:5432/orders"
    assert "s3cret" not in masked
