"""What the shop shows and forwards, as plain functions (no Flask, no I/O)."""

from __future__ import annotations

from typing import Any


class UpstreamDataError(Exception):
    """A service behind the storefront answered with an unusable body."""


def shop_product(product: Any) -> dict[str, Any]:
    """A catalog product as the shop lists it: stock becomes ``in_stock``.

    The shop never tells customers how many items are left, only whether
    they can buy one.

    Raises:
        UpstreamDataError: the product lacks an id, name, price or stock.
    """
    try:
        return {
            "id": product["id"],
            "name": product["name"],
            "price": product["price"],
            "in_stock": int(product["stock"]) > 0,
        }
    except (KeyError, TypeError, ValueError) as error:
        raise UpstreamDataError(
            f"catalog returned a product without id, name, price and stock: {error!r}"
        ) from None


def shop_products(catalog_body: Any) -> list[dict[str, Any]]:
    """Every product of a catalog ``GET /products`` body, as the shop lists it.

    Raises:
        UpstreamDataError: the body has no ``products`` list, or a product
            is incomplete.
    """
    products = catalog_body.get("products") if isinstance(catalog_body, dict) else None
    if not isinstance(products, list):
        raise UpstreamDataError("catalog returned no products list")
    return [shop_product(product) for product in products]


def checkout_request(body: Any) -> dict[str, Any] | None:
    """The ``POST /orders`` body for a checkout, or None if ``body`` is no object.

    Only the fields orders knows are forwarded; orders validates them, so
    the storefront and orders cannot disagree about what is valid.
    """
    if not isinstance(body, dict):
        return None
    return {"product_id": body.get("product_id"), "quantity": body.get("quantity")}


def relayed_status(status: int) -> int:
    """The status the storefront answers with when orders answers ``status``.

    Client errors and gateway errors pass through; any other server error
    of orders is a bad gateway from the customer's point of view.
    """
    if 400 <= status < 500 or status in (502, 503, 504):
        return status
    return 502
