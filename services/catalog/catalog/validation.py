"""Checks on what clients send, as plain functions (no Flask, no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_NAME_LENGTH = 200


class ValidationError(ValueError):
    """The request body is not acceptable; the message says why."""


@dataclass(frozen=True)
class NewProduct:
    """A validated ``POST /products`` body."""

    name: str
    price: float
    stock: int


def is_integer(value: Any) -> bool:
    """True for ints but not bools (JSON ``true`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for finite ints and floats, never bools."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def validate_new_product(body: Any) -> NewProduct:
    """Check a ``POST /products`` body.

    Args:
        body: the decoded JSON body.

    Returns:
        The product's fields, with the name stripped and the price a float.

    Raises:
        ValidationError: a field is missing, of the wrong type or out of range.
    """
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")

    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name must be a non-empty string")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise ValidationError(f"name must be at most {MAX_NAME_LENGTH} characters")

    price = body.get("price")
    if not is_number(price) or price <= 0:
        raise ValidationError("price must be a number greater than 0")

    stock = body.get("stock")
    if not is_integer(stock) or stock < 0:
        raise ValidationError("stock must be an integer >= 0")

    return NewProduct(name=name.strip(), price=float(price), stock=stock)
