"""The storefront: what customers call; it fronts catalog and orders.

Run it with ``python -m storefront``; build the WSGI app with
:func:`create_app`.
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from storefront.clients import (
    CATALOG_TIMEOUT_SECONDS,
    ORDERS_TIMEOUT_SECONDS,
    Upstream,
    UpstreamUnavailableError,
    new_session,
)
from storefront.errors import BAD_JSON, error_response, install_error_handlers
from storefront.shop import (
    UpstreamDataError,
    checkout_request,
    relayed_status,
    shop_products,
)

__all__ = ["create_app"]


def create_app(
    catalog_url: str, orders_url: str, *, session: requests.Session | None = None
) -> Flask:
    """Build the storefront app.

    Args:
        catalog_url: the catalog's base URL.
        orders_url: the orders service's base URL.
        session: the HTTP session for both services; tests pass an
            in-process fake.

    Returns:
        The Flask app.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    session = session or new_session()
    catalog = Upstream("catalog", catalog_url, session, CATALOG_TIMEOUT_SECONDS)
    orders = Upstream("orders", orders_url, session, ORDERS_TIMEOUT_SECONDS)
    install_error_handlers(app)

    @app.errorhandler(UpstreamUnavailableError)
    @app.errorhandler(UpstreamDataError)
    def bad_gateway(error: Exception) -> tuple[Response, int]:
        return error_response(502, str(error))

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/shop/products")
    def products() -> Response | tuple[Response, int]:
        status, body = catalog.get("/products")
        if status != 200:
            return error_response(502, f"catalog answered {status} for its products")
        return jsonify(products=shop_products(body))

    @app.post("/shop/checkout")
    def checkout() -> tuple[Response, int]:
        forward = checkout_request(request.get_json(silent=True))
        if forward is None:
            return error_response(400, BAD_JSON)

        status, body = orders.post("/orders", forward)
        if status == 201:
            return jsonify(order=body), 201
        return _relay_error("orders", status, body)

    @app.get("/shop/orders/<int:order_id>")
    def order(order_id: int) -> Response | tuple[Response, int]:
        status, body = orders.get(f"/orders/{order_id}")
        if status == 200:
            return jsonify(order=body)
        if status == 404:
            return error_response(404, f"order {order_id} not found")
        return _relay_error("orders", status, body)

    return app


def _relay_error(service: str, status: int, body: Any) -> tuple[Response, int]:
    message = body.get("error") if isinstance(body, dict) else None
    if not isinstance(message, str):
        message = f"{service} answered {status}"
    return error_response(relayed_status(status), message)
