"""Provider verification against pacts, with provider states."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.contracts.provider import (
    ProviderStates,
    ProviderVerificationError,
    assert_verified,
    verify_provider,
)
from harness.contracts.serving import serve_wsgi
from harness.errors import ContractError

from .helpers import interaction, write_pact


class Catalog:
    """A tiny WSGI provider: GET /products/<id> from a dict."""

    def __init__(self, price_field: str = "price") -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self.price_field = price_field

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        product_id = environ["PATH_INFO"].rsplit("/", 1)[-1]
        product = self.products.get(int(product_id)) if product_id.isdigit() else None
        if product is None:
            status, body = "404 Not Found", {"error": "not found"}
        else:
            status = "200 OK"
            body = {
                k if k != "price" else self.price_field: v for k, v in product.items()
            }
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]


PRODUCT = {"id": 1, "name": "Beans", "price": 12.5, "stock": 40}
PRODUCT_RULES = {"body": {"$": {"matchers": [{"match": "type"}]}}}


def product_interaction(states: list[dict[str, Any]]) -> dict[str, Any]:
    made = interaction("a request for product 1", "/products/1", 200, PRODUCT)
    made["providerStates"] = states
    made["response"]["matchingRules"] = PRODUCT_RULES
    return made


@pytest.fixture
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture
def provider_url(catalog: Catalog) -> Iterator[str]:
    with serve_wsgi(catalog) as url:
        yield url


def seeding(catalog: Catalog, calls: list[tuple[str, Any]]) -> ProviderStates:
    states = ProviderStates()

    def setup(params: dict[str, Any]) -> None:
        calls.append(("setup", params))
        catalog.products = {int(params["id"]): dict(PRODUCT, id=int(params["id"]))}

    def teardown(params: dict[str, Any]) -> None:
        calls.append(("teardown", params))
        catalog.products = {}

    states.add("product exists", setup, teardown)
    return states


def test_honoured_pacts_give_one_verified_result_per_consumer(
    contracts: Path, catalog: Catalog, provider_url: str
) -> None:
    exists = [{"name": "product exists", "params": {"id": 1}}]
    write_pact(contracts, "orders", "catalog", [product_interaction(exists)])
    write_pact(contracts, "storefront", "catalog", [product_interaction(exists)])
    calls: list[tuple[str, Any]] = []

    results = verify_provider(
        "catalog", provider_url, contracts_dir=contracts, states=seeding(catalog, calls)
    )

    assert [(r.consumer, r.verified, r.interactions) for r in results] == [
        ("orders", True, 1),
        ("storefront", True, 1),
    ]
    assert calls == [("setup", {"id": 1}), ("teardown", {"id": 1})] * 2
    assert results[0].report().endswith("1 interaction(s), verified")
    assert_verified(results)


def test_a_renamed_field_fails_with_expected_and_actual_and_the_state(
    contracts: Path,
) -> None:
    catalog = Catalog(price_field="cost")
    exists = [{"name": "product exists", "params": {"id": 1}}]
    pact = write_pact(contracts, "orders", "catalog", [product_interaction(exists)])

    with serve_wsgi(catalog) as url:
        results = verify_provider(
            "catalog", url, contracts_dir=contracts, states=seeding(catalog, [])
        )

    [result] = results
    assert not result.verified
    [failure] = result.failures
    assert failure.description == "a request for product 1"
    assert failure.states == ["product exists"]
    assert failure.problems == [
        'BodyMismatch at $: expected ["id","name","price","stock"], got '
        '["cost","id","name","stock"] — Actual map is missing the following '
        "keys: price"
    ]
    with pytest.raises(ProviderVerificationError) as caught:
        assert_verified(results)
    assert str(caught.value).splitlines()[:3] == [
        "1 of 1 pact(s) not honoured:",
        f"orders → catalog ({pact}): 1 interaction(s), 1 failed",
        "  'a request for product 1' given 'product exists'",
    ]


def test_a_state_without_a_set_up_fails_its_interaction_quickly(
    contracts: Path, provider_url: str
) -> None:
    write_pact(
        contracts,
        "orders",
        "catalog",
        [product_interaction([{"name": "product exists", "params": {"id": 1}}])],
    )
    started = time.monotonic()

    [result] = verify_provider("catalog", provider_url, contracts_dir=contracts)

    assert time.monotonic() - started < 10, "the verifier must not retry for minutes"
    [failure] = result.failures
    assert failure.problems[0] == (
        "provider state 'product exists': no set-up registered for provider "
        "state 'product exists' (registered: none)"
    )


def test_a_set_up_that_raises_is_reported_with_its_error(
    contracts: Path, catalog: Catalog, provider_url: str
) -> None:
    write_pact(
        contracts,
        "orders",
        "catalog",
        [product_interaction([{"name": "product exists", "params": {}}])],
    )
    states = ProviderStates()

    @states.setup("product exists")
    def _broken(params: dict[str, Any]) -> None:
        raise KeyError("id")

    [result] = verify_provider(
        "catalog", provider_url, contracts_dir=contracts, states=states
    )

    assert result.failures[0].problems[0] == (
        "provider state 'product exists': setup raised KeyError: 'id'"
    )


def test_only_the_named_consumers_are_verified(
    contracts: Path, catalog: Catalog, provider_url: str
) -> None:
    exists = [{"name": "product exists", "params": {"id": 1}}]
    write_pact(contracts, "orders", "catalog", [product_interaction(exists)])
    write_pact(contracts, "storefront", "catalog", [product_interaction(exists)])

    results = verify_provider(
        "catalog",
        provider_url,
        contracts_dir=contracts,
        states=seeding(catalog, []),
        consumers=["storefront"],
    )

    assert [r.consumer for r in results] == ["storefront"]


def test_no_pact_for_the_provider_is_an_error(
    contracts: Path, provider_url: str
) -> None:
    write_pact(contracts, "orders", "catalog", [])

    with pytest.raises(ContractError, match="no pact for any consumer → orders"):
        verify_provider("orders", provider_url, contracts_dir=contracts)


def test_message_interactions_are_left_out_of_http_verification(
    contracts: Path,
    catalog: Catalog,
    provider_url: str,
    contract_logs: pytest.LogCaptureFixture,
) -> None:
    http = product_interaction([{"name": "product exists", "params": {"id": 1}}])
    http["type"] = "Synchronous/HTTP"
    message = {
        "type": "Asynchronous/Messages",
        "description": "product changed",
        "contents": {"content": {"id": 1}, "contentType": "application/json"},
    }
    pact = write_pact(contracts, "orders", "catalog", [http, message], version="4.0")

    [result] = verify_provider(
        "catalog", provider_url, contracts_dir=contracts, states=seeding(catalog, [])
    )

    assert result.verified, result.report()
    assert result.interactions == 1
    assert (
        f"skipping 1 message interaction(s) in {pact}: verified over HTTP only"
        in contract_logs.text
    )
