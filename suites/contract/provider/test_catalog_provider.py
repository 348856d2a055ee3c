"""catalog as a provider: its consumers' pacts replayed against the real app.

The catalog runs in-process on 127.0.0.1 so that provider states can seed
its store (``app.config["CATALOG_STORE"]``) directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog import SEED_PRODUCTS, ProductStore, create_app

from harness.contracts.provider import (
    ProviderStates,
    assert_verified,
    verify_provider,
)
from harness.contracts.serving import serve_wsgi

CONSUMERS = {"orders", "storefront"}


def catalog_states(store: ProductStore) -> ProviderStates:
    states = ProviderStates()

    @states.setup("product 1 exists")
    def _product_exists(params: dict[str, Any]) -> None:
        product_id = int(params.get("id", 1))
        store.reset(
            [{"id": product_id, "name": "Espresso beans", "price": 12.5, "stock": 40}]
        )

    @states.setup("product 99 does not exist")
    def _product_missing(params: dict[str, Any]) -> None:
        product_id = int(params.get("id", 99))
        store.reset([p for p in SEED_PRODUCTS if p["id"] != product_id])

    @states.setup("product 3 is out of stock")
    def _product_out_of_stock(params: dict[str, Any]) -> None:
        product_id = int(params.get("id", 3))
        store.reset(
            [{"id": product_id, "name": "Paper filters", "price": 4.2, "stock": 0}]
        )

    @states.setup("products exist")
    def _products_exist(params: dict[str, Any]) -> None:
        store.reset(SEED_PRODUCTS)

    return states


@pytest.fixture(scope="module")
def catalog() -> Iterator[tuple[str, ProductStore]]:
    app = create_app()
    with serve_wsgi(app) as url:
        yield url, app.config["CATALOG_STORE"]


def test_catalog_honours_its_consumers_pacts(
    catalog: tuple[str, ProductStore], contracts_dir: Path
) -> None:
    url, store = catalog

    results = verify_provider(
        "catalog", url, contracts_dir=contracts_dir, states=catalog_states(store)
    )

    assert {r.consumer for r in results} >= CONSUMERS, "a consumer's pact is missing"
    assert_verified(results)
