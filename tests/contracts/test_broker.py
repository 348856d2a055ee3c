"""The broker store against a recorded Pact Broker replayed over real HTTP."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contracts import pactfile
from harness.contracts.broker import BrokerContractStore
from harness.contracts.pending import verify_from_store
from harness.contracts.provider import assert_verified
from harness.contracts.serving import serve_wsgi
from harness.contracts.store import open_store
from harness.errors import ContractError

from .helpers import loopback_session, write_pact
from .providers import Catalog, product_interaction, states_for
from .replay import Broker, replayed_broker

TOKEN = "s3cret-token-value"


@pytest.fixture
def broker() -> Iterator[Broker]:
    with replayed_broker(token=TOKEN) as served:
        yield served


@pytest.fixture
def store(broker: Broker) -> Iterator[BrokerContractStore]:
    made = BrokerContractStore(broker.url, token=TOKEN, session=loopback_session())
    yield made
    made.close()


def test_publish_fetch_verify_and_can_i_deploy_through_the_broker(
    broker: Broker, store: BrokerContractStore, tmp_path: Path
) -> None:
    pact = pactfile.load(
        write_pact(tmp_path, "orders", "catalog", [product_interaction()])
    )

    lines = store.publish([pact], "o1", "main")

    assert lines == [
        "Created orders version o1 with branch main",
        "Pact published for orders version o1 and provider catalog.",
    ]
    sent = broker.last("POST", "/contracts/publish").body
    assert {k: v for k, v in sent.items() if k != "contracts"} == {
        "pacticipantName": "orders",
        "pacticipantVersionNumber": "o1",
        "branch": "main",
    }
    [contract] = sent["contracts"]
    assert json.loads(base64.b64decode(contract["content"])) == pact.data
    assert (contract["consumerName"], contract["providerName"]) == ("orders", "catalog")

    catalog = Catalog()
    with serve_wsgi(catalog) as url:
        results = verify_from_store(
            store,
            "catalog",
            url,
            provider_version="c1",
            provider_branch="main",
            states=states_for(catalog),
        )
    assert_verified(results)
    asked = broker.last("POST", "/pacts/provider/catalog/for-verification").body
    assert asked == {
        "consumerVersionSelectors": [
            {"mainBranch": True},
            {"deployedOrReleased": True},
            {"matchingBranch": True},
        ],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
    }
    verdict = broker.last(
        "POST",
        "/pacts/provider/catalog/consumer/orders/pact-version/9f1c/verification-results",
    ).body
    assert (verdict["success"], verdict["providerApplicationVersion"]) == (True, "c1")
    assert "PUT /pacticipants/catalog/branches/main/versions/c1" in broker.calls()

    store.record_deployment("catalog", "c1", "production")
    assert (
        "POST /pacticipants/catalog/versions/c1/deployed-versions/environment/6b1d"
        in broker.calls()
    )

    decision = store.can_i_deploy("catalog", "c1", "production")
    assert decision.deployable
    assert broker.last("GET", "/can-i-deploy").query == {
        "pacticipant": ["catalog"],
        "version": ["c1"],
        "environment": ["production"],
    }
    assert [
        (r.consumer, r.provider_version, r.verification) for r in decision.rows
    ] == [("orders", "c1", "success")]


def test_broker_pending_pact_failures_do_not_gate(
    store: BrokerContractStore,
) -> None:
    catalog = Catalog()
    catalog.price_field = "cost"
    with serve_wsgi(catalog) as url:
        [result] = verify_from_store(
            store, "catalog", url, provider_version="c9", states=states_for(catalog)
        )

    assert result.failures == []
    assert [f.description for f in result.pending] == ["a request for product 1"]


def test_every_request_carries_the_token_and_no_log_line_shows_it(
    broker: Broker, store: BrokerContractStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    summaries = store.summaries()

    assert [(s.consumer, s.provider, s.interactions) for s in summaries] == [
        ("orders", "catalog", 1)
    ]
    assert summaries[0].last_verification.startswith("success by c1")
    assert {r.headers["authorization"] for r in broker.received} == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(store)


def test_a_refused_token_is_one_error_naming_the_variable_not_the_token(
    broker: Broker,
) -> None:
    wrong = BrokerContractStore(broker.url, token="wrong", session=loopback_session())

    with pytest.raises(ContractError) as caught:
        wrong.can_i_deploy("catalog", "c1", "production")

    assert "HTTP 401" in str(caught.value)
    assert "PACT_BROKER_TOKEN" in str(caught.value)
    assert "wrong" not in str(caught.value)


def test_unknown_environment_is_an_error_naming_it(store: BrokerContractStore) -> None:
    with pytest.raises(ContractError, match="knows no environment 'prod'"):
        store.record_deployment("catalog", "c1", "prod")


def test_unreachable_broker_is_one_error(tmp_path: Path) -> None:
    with replayed_broker() as gone:
        url = gone.url
    dead = BrokerContractStore(url, session=loopback_session(), timeout=2)

    with pytest.raises(ContractError, match="cannot reach the Pact Broker at"):
        dead.summaries()


def test_open_store_takes_the_broker_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PACT_BROKER_USERNAME", "ci")
    monkeypatch.setenv("PACT_BROKER_PASSWORD", "hunter2")

    chosen = open_store(tmp_path)

    assert isinstance(chosen, BrokerContractStore)
    assert repr(chosen) == "BrokerContractStore('http://127.0.0.1:9', auth=basic)"
    monkeypatch.delenv("PACT_BROKER_BASE_URL")
    with pytest.raises(ContractError, match="set PACT_BROKER_BASE_URL"):
        open_store(tmp_path, use_broker=True)


def test_versions_released_together_are_asked_through_the_matrix(
    broker: Broker, store: BrokerContractStore
) -> None:
    decision = store.can_i_deploy(
        "catalog", "c2", "production", together={"orders": "o1"}
    )

    assert not decision.deployable
    assert decision.reasons == [
        "There is no verified pact between orders (o1) and catalog (c2)"
    ]
    assert [(r.provider_version, r.verification) for r in decision.rows] == [
        ("c2", "not verified")
    ]
    assert broker.last("GET", "/matrix").query == {
        "q[][pacticipant]": ["catalog", "orders"],
        "q[][version]": ["c2", "o1"],
        "latestby": ["cvpv"],
        "environment": ["production"],
    }
