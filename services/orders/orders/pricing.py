"""What an order costs and whether it can be placed (pure functions).

Money is counted in integer cents so that totals are exact; the API shows
them as floats with at most two decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from orders.validation import is_integer


class InsufficientStockError(Exception):
    """The catalog has fewer items than the order asks for."""


class CatalogDataError(Exception):
    """The catalog answered with a product the orders service cannot use."""


@dataclass(frozen=True)
class Quote:
    """The price of one order line, in cents."""

    unit_price_cents: int
    total_cents: int


def to_cents(price: float) -> int:
    """A price in currency units as whole cents, rounded half away from zero."""
    return int(math.floor(abs(price) * 100 + 0.5)) * (1 if price >= 0 else -1)


def from_cents(cents: int) -> float:
    """Whole cents as a price in currency units (e.g. 1250 -> 12.5)."""
    return round(cents / 100, 2)


def check_stock(product_id: int, stock: int, quantity: int) -> None:
    """Refuse an order for more items than are in stock.

    Raises:
        InsufficientStockError: ``stock < quantity``.
    """
    if stock < quantity:
        raise InsufficientStockError(
            f"insufficient stock for product {product_id}: "
            f"{stock} available, {quantity} requested"
        )


def quote(product_id: int, product: Any, quantity: int) -> Quote:
    """Price ``quantity`` items of a catalog ``product`` after a stock check.

    Args:
        product_id: the id the order asked for (named in errors).
        product: the catalog's product body (reads ``price`` and ``stock``).
        quantity: how many items the order asks for.

    Raises:
        CatalogDataError: the product has no usable price or stock.
        InsufficientStockError: there are fewer than ``quantity`` in stock.
    """
    if not isinstance(product, dict):
        raise CatalogDataError("catalog returned a product that is not a JSON object")
    price, stock = product.get("price"), product.get("stock")
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise CatalogDataError(f"catalog returned a non-numeric price: {price!r}")
    if not math.isfinite(price) or price <= 0:
        raise CatalogDataError(f"catalog returned an invalid price: {price!r}")
    if not is_integer(stock):
        raise CatalogDataError(f"catalog returned a non-integer stock: {stock!r}")

    check_stock(product_id, stock, quantity)
    unit = to_cents(price)
    return Quote(unit_price_cents=unit, total_cents=unit * quantity)
