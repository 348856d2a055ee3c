"""orders as a provider: the storefront's pact replayed against the real app.

Each provider state gets a fresh orders app (its own SQLite file) behind one
in-process server on 127.0.0.1; the orders service's own dependency, the
catalog, is a stub served from the orders → catalog pact in the state the
interaction needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from orders import create_app

from harness.contracts.provider import (
    ProviderStates,
    assert_verified,
    verify_provider,
)
from harness.contracts.serving import serve_wsgi


class SwappableApp:
    """A WSGI app whose target a provider state can replace between requests."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.made: list[Flask] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "no provider state has set the app up"
        return self.app(environ, start_response)

    def replace(self, app: Flask) -> Flask:
        self.app = app
        self.made.append(app)
        return app

    def close(self) -> None:
        for app in self.made:
            app.config["ORDERS_REPOSITORY"].close()


def orders_states(
    target: SwappableApp, fresh_app: Callable[[str | None], Flask]
) -> ProviderStates:
    states = ProviderStates()

    @states.setup("product 1 is in stock")
    def _in_stock(params: dict[str, Any]) -> None:
        target.replace(fresh_app("product 1 exists"))

    @states.setup("product 3 is out of stock")
    def _out_of_stock(params: dict[str, Any]) -> None:
        target.replace(fresh_app("product 3 is out of stock"))

    @states.setup("order 1 exists")
    def _order_exists(params: dict[str, Any]) -> None:
        app = target.replace(fresh_app(None))
        order = app.config["ORDERS_REPOSITORY"].add(1, 2, 1250, 2500)
        assert order["id"] == int(params.get("id", 1))

    @states.setup("order 999 does not exist")
    def _order_missing(params: dict[str, Any]) -> None:
        target.replace(fresh_app(None))

    return states


@pytest.fixture
def orders(
    tmp_path: Path, contract_stub: Callable[..., str]
) -> Iterator[tuple[str, ProviderStates]]:
    target = SwappableApp()

    def fresh_app(catalog_state: str | None) -> Flask:
        catalog_url = (
            contract_stub("catalog", consumer="orders", state=catalog_state)
            if catalog_state
            else contract_stub("catalog", consumer="orders")
        )
        database = tmp_path / f"orders-{len(target.made)}.sqlite"
        return create_app(catalog_url, f"sqlite:///{database}")

    try:
        with serve_wsgi(target) as url:
            yield url, orders_states(target, fresh_app)
    finally:
        target.close()


def test_orders_honours_the_storefront_pact(
    orders: tuple[str, ProviderStates], contracts_dir: Path
) -> None:
    url, states = orders

    results = verify_provider("orders", url, contracts_dir=contracts_dir, states=states)

    assert [r.consumer for r in results] == ["storefront"]
    assert_verified(results)
