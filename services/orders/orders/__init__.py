"""The orders service: places orders for catalog products and keeps them.

Run it with ``python -m orders``; build the WSGI app with
:func:`create_app`.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from orders.catalog_client import CatalogClient, CatalogUnavailableError
from orders.errors import BAD_JSON, error_response, install_error_handlers
from orders.pricing import CatalogDataError, InsufficientStockError, quote
from orders.repository import DatabaseConfigError, OrderRepository
from orders.validation import ValidationError, validate_order_request

__all__ = ["CatalogClient", "DatabaseConfigError", "OrderRepository", "create_app"]


def create_app(
    catalog_url: str,
    database_url: str,
    *,
    catalog: CatalogClient | None = None,
) -> Flask:
    """Build the orders app.

    Args:
        catalog_url: the catalog's base URL.
        database_url: ``sqlite:///path`` or ``postgresql://...``.
        catalog: the catalog client to use instead of one for
            ``catalog_url`` (tests pass one with an in-process session).

    Returns:
        The Flask app; its repository is ``app.config["ORDERS_REPOSITORY"]``
        and its catalog client ``app.config["CATALOG_CLIENT"]``.

    Raises:
        DatabaseConfigError: ``database_url`` cannot be used.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    orders = OrderRepository(database_url)
    catalog = catalog or CatalogClient(catalog_url)
    app.config["ORDERS_REPOSITORY"] = orders
    app.config["CATALOG_CLIENT"] = catalog
    install_error_handlers(app)

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/orders")
    def list_orders() -> Response:
        return jsonify(orders=orders.all())

    @app.get("/orders/<int:order_id>")
    def get_order(order_id: int) -> Response | tuple[Response, int]:
        order = orders.get(order_id)
        if order is None:
            return error_response(404, f"order {order_id} not found")
        return jsonify(order)

    @app.post("/orders")
    def place_order() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
        body = request.get_json(silent=True)
        if body is None:
            return error_response(400, BAD_JSON)
        try:
            wanted = validate_order_request(body)
        except ValidationError as error:
            return error_response(400, str(error))

        try:
            product = catalog.product(wanted.product_id)
        except CatalogUnavailableError as error:
            return error_response(502, str(error))
        if product is None:
            return error_response(422, f"unknown product {wanted.product_id}")

        try:
            price = quote(wanted.product_id, product, wanted.quantity)
        except InsufficientStockError as error:
            return error_response(409, str(error))
        except CatalogDataError as error:
            return error_response(502, str(error))

        order = orders.add(
            wanted.product_id,
            wanted.quantity,
            price.unit_price_cents,
            price.total_cents,
        )
        return jsonify(order), 201, {"Location": f"/orders/{order['id']}"}

    return app
