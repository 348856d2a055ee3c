"""Checks on what clients send, as plain functions (no Flask, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_QUANTITY = 100


class ValidationError(ValueError):
    """The request body is not acceptable; the message says why."""


@dataclass(frozen=True)
class OrderRequest:
    """A validated ``POST /orders`` body."""

    product_id: int
    quantity: int


def is_integer(value: Any) -> bool:
    """True for ints but not bools (JSON ``true`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def validate_order_request(body: Any) -> OrderRequest:
    """Check a ``POST /orders`` body.

    Args:
        body: the decoded JSON body.

    Returns:
        The product id and quantity.

    Raises:
        ValidationError: a field is missing, of the wrong type or out of range.
    """
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")

    product_id = body.get("product_id")
    if not is_integer(product_id) or product_id < 1:
        raise ValidationError("product_id must be a positive integer")

    quantity = body.get("quantity")
    if not is_integer(quantity) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"quantity must be an integer from 1 to {MAX_QUANTITY}")

    return OrderRequest(product_id=product_id, quantity=quantity)
