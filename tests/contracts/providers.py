"""A tiny WSGI catalog for verification tests, and pacts against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.contracts.provider import ProviderStates

from .helpers import interaction

PRODUCT = {"id": 1, "name": "Beans", "price": 12.5, "stock": 40}
TYPE_RULES = {"body": {"$": {"matchers": [{"match": "type"}]}}}


class Catalog:
    """GET /products/<id>, and GET /products/<id>/reviews when it has them."""

    def __init__(self) -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self.reviews = False
        self.price_field = "price"

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        parts = environ["PATH_INFO"].strip("/").split("/")
        product = None
        if len(parts) >= 2 and parts[1].isdigit():
            product = self.products.get(int(parts[1]))
        if product is None or (parts[2:] and not self.reviews):
            status, body = "404 Not Found", {"error": "not found"}
        elif parts[2:] == ["reviews"]:
            status, body = "200 OK", {"reviews": [{"stars": 5}]}
        else:
            status = "200 OK"
            body = {
                k if k != "price" else self.price_field: v for k, v in product.items()
            }
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


def product_interaction() -> dict[str, Any]:
    made = interaction("a request for product 1", "/products/1", 200, PRODUCT)
    made["providerStates"] = [{"name": "product exists", "params": {"id": 1}}]
    made["response"]["matchingRules"] = TYPE_RULES
    return made


def reviews_interaction() -> dict[str, Any]:
    made = interaction(
        "a request for the reviews of product 1",
        "/products/1/reviews",
        200,
        {"reviews": [{"stars": 5}]},
    )
    made["providerStates"] = [{"name": "product exists", "params": {"id": 1}}]
    made["response"]["matchingRules"] = TYPE_RULES
    return made


def states_for(
    catalog: Catalog, seen: list[dict[str, Any]] | None = None
) -> ProviderStates:
    states = ProviderStates()

    @states.setup("product exists")
    def _exists(params: dict[str, Any]) -> None:
        if seen is not None:
            seen.append(params)
        product_id = int(params["id"])
        catalog.products = {product_id: dict(PRODUCT, id=product_id)}

    return states
