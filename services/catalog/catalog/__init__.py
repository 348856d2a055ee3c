"""The catalog service: the products the shop sells.

Run it with ``python -m catalog``; build the WSGI app with
:func:`create_app`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify, request

from catalog.errors import BAD_JSON, error_response, install_error_handlers
from catalog.store import SEED_PRODUCTS, ProductStore
from catalog.validation import ValidationError, validate_new_product

__all__ = ["SEED_PRODUCTS", "ProductStore", "create_app"]


def create_app(products: Iterable[dict[str, Any]] | None = None) -> Flask:
    """Build the catalog app.

    Args:
        products: the initial products; the seed data when omitted.

    Returns:
        The Flask app; its store is ``app.config["CATALOG_STORE"]``.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = ProductStore(products)
    app.config["CATALOG_STORE"] = store
    install_error_handlers(app)

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/products")
    def list_products() -> Response:
        return jsonify(products=store.all())

    @app.get("/products/<int:product_id>")
    def get_product(product_id: int) -> Response | tuple[Response, int]:
        product = store.get(product_id)
        if product is None:
            return error_response(404, f"product {product_id} not found")
        return jsonify(product)

    @app.post("/products")
    def add_product() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        if body is None:
            return error_response(400, BAD_JSON)
        try:
            new = validate_new_product(body)
        except ValidationError as error:
            return error_response(400, str(error))
        product = store.add(new.name, new.price, new.stock)
        return jsonify(product), 201

    return app
