"""The local contract store: publish → fetch → verify → can-i-deploy, pending."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import load_pipeline
from harness.contracts import gate, pactfile
from harness.contracts.local import LocalContractStore
from harness.contracts.matrix import MatrixRow
from harness.contracts.pending import verify_from_store
from harness.contracts.provider import ProviderVerificationError, assert_verified
from harness.contracts.serving import serve_wsgi
from harness.contracts.store import ConsumerVersionSelector
from harness.errors import ContractError
from harness.model import Pipeline

from .helpers import write_pact
from .providers import Catalog, product_interaction, reviews_interaction, states_for


@pytest.fixture
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture
def catalog_url(catalog: Catalog) -> Iterator[str]:
    with serve_wsgi(catalog) as url:
        yield url


def test_publish_fetch_verify_and_can_i_deploy_on_the_local_store(
    tmp_path: Path, catalog: Catalog, catalog_url: str
) -> None:
    written = write_pact(tmp_path / "out", "orders", "catalog", [product_interaction()])
    store = LocalContractStore(tmp_path / "store", include_working_copies=False)

    lines = store.publish([pactfile.load(written)], "o1", "main")
    store.record_deployment("orders", "o1", "production")
    targets = store.pacts_for_verification("catalog")

    assert lines[0].startswith("published orders@o1 → catalog (")
    [target] = targets
    assert (target.pact.consumer, target.consumer_versions, target.pending) == (
        "orders",
        ("o1",),
        True,
    )
    assert target.notices == ("latest from branch main", "deployed in production")

    results = verify_from_store(
        store, "catalog", catalog_url, provider_version="c1", states=states_for(catalog)
    )
    assert_verified(results)
    assert not store.pacts_for_verification("catalog")[0].pending

    yes = store.can_i_deploy("catalog", "c1", "production")
    assert yes.deployable
    assert yes.rows == [
        MatrixRow(
            "orders",
            "o1",
            "catalog",
            "c1",
            target.sha,
            "success",
            yes.rows[0].verified_at,
        )
    ]
    assert "CONSUMER  C.VERSION  PROVIDER  P.VERSION  VERIFIED" in yes.render()

    never_verified = store.can_i_deploy("catalog", "c2", "production")
    assert not never_verified.deployable
    assert never_verified.reasons == [
        "orders@o1 → catalog@c2: that provider version never verified this pact "
        "— run the provider's contract stage"
    ]

    consumer_first = store.can_i_deploy("orders", "o1", "staging")
    assert not consumer_first.deployable
    assert (
        "no version of catalog is recorded in this environment"
        in (consumer_first.reasons[0])
    )
    store.record_deployment("catalog", "c1", "staging")
    assert store.can_i_deploy("orders", "o1", "staging").deployable


def test_a_failed_verification_blocks_can_i_deploy(
    tmp_path: Path, catalog: Catalog, catalog_url: str
) -> None:
    written = write_pact(tmp_path / "out", "orders", "catalog", [product_interaction()])
    store = LocalContractStore(tmp_path / "store", include_working_copies=False)
    store.publish([pactfile.load(written)], "o1", "main")
    verify_from_store(
        store, "catalog", catalog_url, provider_version="c1", states=states_for(catalog)
    )
    store.record_deployment("orders", "o1", "production")

    catalog.price_field = "cost"
    verify_from_store(
        store, "catalog", catalog_url, provider_version="c2", states=states_for(catalog)
    )

    decision = store.can_i_deploy("catalog", "c2", "production")
    assert not decision.deployable
    assert [r.verification for r in decision.rows] == ["failed"]
    assert store.can_i_deploy("catalog", "c1", "production").deployable


def test_new_interaction_is_pending_until_it_passes_once_then_it_gates(
    tmp_path: Path, catalog: Catalog, catalog_url: str
) -> None:
    contracts = tmp_path / "contracts"
    write_pact(
        contracts,
        "orders",
        "catalog",
        [product_interaction(), reviews_interaction()],
    )
    store = LocalContractStore(contracts)

    def verify(version: str) -> list:
        return verify_from_store(
            store,
            "catalog",
            catalog_url,
            provider_version=version,
            states=states_for(catalog),
        )

    [first] = verify("c1")  # reviews not built yet: reported, not gating
    assert first.failures == []
    assert [f.description for f in first.pending] == [
        "a request for the reviews of product 1"
    ]
    assert "1 pending failed (not gating)" in first.report()
    assert_verified([first])

    catalog.reviews = True
    [second] = verify("c2")
    assert (second.failures, second.pending) == ([], [])

    catalog.reviews = False  # a regression, now that it passed once
    [third] = verify("c3")
    assert [f.description for f in third.failures] == [
        "a request for the reviews of product 1"
    ]
    with pytest.raises(ProviderVerificationError):
        assert_verified([third])


def test_an_old_interaction_still_gates_while_a_new_one_is_pending(
    tmp_path: Path, catalog: Catalog, catalog_url: str
) -> None:
    contracts = tmp_path / "contracts"
    write_pact(contracts, "orders", "catalog", [product_interaction()])
    store = LocalContractStore(contracts)
    verify_from_store(
        store, "catalog", catalog_url, provider_version="c1", states=states_for(catalog)
    )
    write_pact(
        contracts, "orders", "catalog", [product_interaction(), reviews_interaction()]
    )
    catalog.price_field = "cost"

    [result] = verify_from_store(
        store, "catalog", catalog_url, provider_version="c2", states=states_for(catalog)
    )

    assert [f.description for f in result.failures] == ["a request for product 1"]
    assert [f.description for f in result.pending] == [
        "a request for the reviews of product 1"
    ]


def test_selectors_choose_branches_and_deployed_versions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    store = LocalContractStore(tmp_path / "store", include_working_copies=False)
    main = write_pact(out / "a", "orders", "catalog", [product_interaction()])
    feature = write_pact(
        out / "b", "orders", "catalog", [product_interaction(), reviews_interaction()]
    )
    store.publish([pactfile.load(main)], "o1", "main")
    store.publish([pactfile.load(feature)], "o2", "reviews")

    def chosen(*selectors: str, branch: str | None = None) -> list[tuple[str, ...]]:
        parsed = [ConsumerVersionSelector.parse(s) for s in selectors]
        targets = store.pacts_for_verification(
            "catalog", parsed, provider_branch=branch
        )
        return [t.consumer_versions for t in targets]

    assert chosen("main") == [("o1",)]
    assert chosen("branch=reviews") == [("o2",)]
    assert chosen("matching-branch", branch="reviews") == [("o2",)]
    assert chosen("deployed=production") == []
    store.record_deployment("orders", "o2", "production")
    assert chosen("deployed=production,consumer=orders") == [("o2",)]
    assert chosen("main", "deployed") == [("o1",), ("o2",)]
    wip = store.pacts_for_verification(
        "catalog", [ConsumerVersionSelector(main_branch=True)], include_wip=True
    )
    assert [(t.consumer_versions, t.wip) for t in wip] == [
        (("o1",), False),
        (("o2",), True),
    ]


def test_republishing_a_version_with_other_content_is_an_error(tmp_path: Path) -> None:
    store = LocalContractStore(tmp_path / "store")
    first = write_pact(tmp_path / "a", "orders", "catalog", [product_interaction()])
    second = write_pact(tmp_path / "b", "orders", "catalog", [reviews_interaction()])
    store.publish([pactfile.load(first)], "o1", "main")
    store.publish([pactfile.load(first)], "o1", "main")  # same content: fine

    with pytest.raises(ContractError, match="already published a different pact"):
        store.publish([pactfile.load(second)], "o1", "main")


def test_unknown_selector_is_an_error_listing_the_forms() -> None:
    with pytest.raises(ContractError, match="use main, branch=NAME"):
        ConsumerVersionSelector.parse("tag=prod")


def pipeline_in(folder: Path) -> Pipeline:
    pipeline = load_pipeline(Path(__file__).resolve().parents[2] / "pipelines/ci.yaml")
    system = dataclasses.replace(pipeline.system, source=folder / "system.yaml")
    return dataclasses.replace(pipeline, system=system)


def test_deploy_gate_is_off_until_pacts_are_published_then_asks_the_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    monkeypatch.setattr(gate, "git_version", lambda root: "g1")
    pipeline = pipeline_in(tmp_path)
    assert gate.deploy_gate(pipeline, "production") is None

    store = LocalContractStore(tmp_path / "contracts")
    written = write_pact(tmp_path / "out", "orders", "catalog", [product_interaction()])
    store.publish([pactfile.load(written)], "g1", "main")

    refusal = gate.deploy_gate(pipeline, "production")
    assert refusal == (
        "can-i-deploy: catalog@g1, orders@g1 may not go to production "
        "(orders@g1 → catalog@g1: that provider version never verified this pact "
        "— run the provider's contract stage)"
    )
    catalog = Catalog()
    with serve_wsgi(catalog) as url:
        verify_from_store(
            store, "catalog", url, provider_version="g1", states=states_for(catalog)
        )
    assert gate.deploy_gate(pipeline, "production") is None

    gate.record_deployed(pipeline, "production")
    assert store.deployed("production") == {
        "catalog": "g1",
        "orders": "g1",
        "storefront": "g1",
    }
