"""The catalog's products, kept in memory behind a lock."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

SEED_PRODUCTS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "Espresso beans", "price": 12.5, "stock": 40},
    {"id": 2, "name": "Pour-over kettle", "price": 39.0, "stock": 5},
    {"id": 3, "name": "Paper filters", "price": 4.2, "stock": 0},
)


class ProductStore:
    """A thread-safe product table; ids are assigned in increasing order.

    The server runs threaded, and provider-state set-up in contract tests
    resets the store while requests may be in flight, hence the lock.
    Callers always get copies, so nothing outside can change a stored row.

    Args:
        products: the initial rows (each with id, name, price and stock);
            the seed data when omitted.
    """

    def __init__(self, products: Iterable[dict[str, Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._products: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self.reset(SEED_PRODUCTS if products is None else products)

    def reset(self, products: Iterable[dict[str, Any]]) -> None:
        """Replace every product with ``products``.

        A product's ``id`` is kept when given; products without one are
        numbered after the highest given id, in order.
        """
        given = [dict(p) for p in products]
        next_id = max((int(p["id"]) for p in given if "id" in p), default=0) + 1
        rows: dict[int, dict[str, Any]] = {}
        for product in given:
            if "id" not in product:
                product["id"] = next_id
                next_id += 1
            row = {
                "id": int(product["id"]),
                "name": str(product["name"]),
                "price": float(product["price"]),
                "stock": int(product["stock"]),
            }
            rows[row["id"]] = row
        with self._lock:
            self._products = rows
            self._next_id = max(rows, default=0) + 1

    def add(self, name: str, price: float, stock: int) -> dict[str, Any]:
        """Store a new product and return it with its assigned id."""
        with self._lock:
            product: dict[str, Any] = {
                "id": self._next_id,
                "name": name,
                "price": float(price),
                "stock": int(stock),
            }
            self._products[self._next_id] = product
            self._next_id += 1
            return dict(product)

    def get(self, product_id: int) -> dict[str, Any] | None:
        """The product with ``product_id``, or None."""
        with self._lock:
            product = self._products.get(product_id)
            return dict(product) if product is not None else None

    def all(self) -> list[dict[str, Any]]:
        """Every product, by id."""
        with self._lock:
            return [dict(self._products[key]) for key in sorted(self._products)]
