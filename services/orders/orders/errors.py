"""JSON error bodies for every failure, including Flask's own."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

BAD_JSON = "request body must be a JSON object (Content-Type: application/json)"


def error_response(status: int, message: str) -> tuple[Response, int]:
    """The ``{"error": message}`` body every endpoint fails with."""
    return jsonify(error=message), status


def install_error_handlers(app: Flask) -> None:
    """Answer unknown routes, wrong methods and crashes with JSON."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        if status == 404:
            return error_response(404, f"no route for {request.method} {request.path}")
        if status == 405:
            return error_response(
                405, f"method {request.method} not allowed on {request.path}"
            )
        return error_response(status, error.description or error.name)

    @app.errorhandler(Exception)
    def crash(error: Exception) -> tuple[Response, int]:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error")
