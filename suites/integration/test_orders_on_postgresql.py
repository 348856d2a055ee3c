"""The orders service on PostgreSQL, the engine production uses.

The server comes from ``ORDERS_TEST_POSTGRES_URL`` (any PostgreSQL the
tester points at, e.g. one started on 127.0.0.1), or from testcontainers
when a Docker engine is reachable. Without either the tests are skipped
with the reason; the SQLite suite beside this one always runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from orders import create_app

Stub = Callable[..., str]


def _docker_reachable() -> bool:
    return bool(os.environ.get("DOCKER_HOST")) or Path("/var/run/docker.sock").exists()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip(
        "psycopg", reason="psycopg not installed: pip install .[postgres]"
    )
    given = os.environ.get("ORDERS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if not _docker_reachable():
        pytest.skip(
            "no PostgreSQL: set ORDERS_TEST_POSTGRES_URL or start a Docker engine "
            "for testcontainers"
        )
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as server:
        yield server.get_connection_url()


@pytest.fixture
def orders(
    contract_stub: Stub, postgres_url: str
) -> Iterator[Callable[[], FlaskClient]]:
    url = postgres_url
    made = []

    def client() -> FlaskClient:
        catalog = contract_stub("catalog", consumer="orders", state="product 1 exists")
        app = create_app(catalog, url)
        made.append(app)
        return app.test_client()

    yield client
    for app in made:
        app.config["ORDERS_REPOSITORY"].close()


def test_order_is_stored_and_read_back_on_postgresql(
    orders: Callable[[], FlaskClient],
) -> None:
    client = orders()
    marker = uuid.uuid4().int % 40 + 1  # within the pact's stock of 40

    placed = client.post("/orders", json={"product_id": 1, "quantity": marker})

    assert placed.status_code == 201
    order = placed.get_json()
    assert (order["quantity"], order["total"]) == (marker, round(12.5 * marker, 2))
    assert orders().get(f"/orders/{order['id']}").get_json() == order


def test_unknown_order_is_404_on_postgresql(orders: Callable[[], FlaskClient]) -> None:
    assert orders().get("/orders/987654321").status_code == 404
