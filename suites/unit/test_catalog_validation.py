from __future__ import annotations

import pytest
from catalog.validation import ValidationError, validate_new_product


def test_valid_product_is_accepted_with_name_stripped_and_price_as_float() -> None:
    product = validate_new_product({"name": "  Mug ", "price": 8, "stock": 3})

    assert (product.name, product.price, product.stock) == ("Mug", 8.0, 3)
    assert isinstance(product.price, float)


def test_zero_stock_is_allowed() -> None:
    assert validate_new_product({"name": "Mug", "price": 1.5, "stock": 0}).stock == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 1, "stock": 1}, "name"),
        ({"name": "   ", "price": 1, "stock": 1}, "name"),
        ({"name": 7, "price": 1, "stock": 1}, "name"),
        ({"name": "Mug", "price": 0, "stock": 1}, "price"),
        ({"name": "Mug", "price": -2.5, "stock": 1}, "price"),
        ({"name": "Mug", "price": "3", "stock": 1}, "price"),
        ({"name": "Mug", "price": True, "stock": 1}, "price"),
        ({"name": "Mug", "price": float("nan"), "stock": 1}, "price"),
        ({"name": "Mug", "price": 1, "stock": -1}, "stock"),
        ({"name": "Mug", "price": 1, "stock": 1.5}, "stock"),
        ({"name": "Mug", "price": 1, "stock": False}, "stock"),
        ({"name": "Mug", "price": 1}, "stock"),
    ],
)
def test_invalid_field_is_rejected_naming_the_field(body: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=f"^{field} must"):
        validate_new_product(body)


def test_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(ValidationError, match="JSON object"):
        validate_new_product([{"name": "Mug", "price": 1, "stock": 1}])
