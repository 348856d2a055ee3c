"""The harness-contracts pytest plugin, from outside with pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import interaction, write_pact


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = --strict-markers\ncdh_contracts = pacts\n")
    write_pact(
        pytester.path / "pacts",
        "orders",
        "catalog",
        [
            interaction(
                "product 1",
                "/products/1",
                200,
                {"id": 1},
                states=["product 1 exists"],
            )
        ],
    )
    return pytester


STUB_TEST = """
import requests

def test_stub(contract_stub, contract_stubs, contracts_dir):
    url = contract_stub("catalog", consumer="orders", state="product 1 exists")
    assert url.startswith("http://127.0.0.1:")
    assert contract_stub("catalog", consumer="orders", state="product 1 exists") == url
    session = requests.Session()
    session.trust_env = False
    assert session.get(url + "/products/1").json() == {"id": 1}
    (contracts_dir.parent / "pid").write_text(str(contract_stubs.pid))
"""


def test_contract_stub_serves_the_ini_folders_pact_and_stops_at_session_end(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_stub=STUB_TEST)

    result = project.runpytest()

    result.assert_outcomes(passed=1)
    pid = int((project.path / "pid").read_text())
    assert not Path(f"/proc/{pid}").exists(), "the pact mock master was stopped"


def test_contracts_option_overrides_the_ini_value(project: pytest.Pytester) -> None:
    (project.path / "pacts").rename(project.path / "elsewhere")
    project.makepyfile(test_stub=STUB_TEST)

    result = project.runpytest("--contracts", "elsewhere")

    result.assert_outcomes(passed=1)


def test_a_missing_pact_fails_the_test_with_a_contract_error(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_missing="""
        def test_missing(contract_stub):
            contract_stub("catalog", consumer="storefront")
        """
    )

    result = project.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *harness.errors.ContractError: */pacts: no pact for storefront → "
            "catalog (found: orders → catalog) — check the names, or run the "
            "consumer tests that write it"
        ]
    )


CONSUMER_TESTS = """
import requests
from pact import match

def check(consumer_pact, description, path, expect_ok=True):
    pact = consumer_pact("orders", "catalog")
    (
        pact.upon_receiving(description)
        .with_request("GET", path)
        .will_respond_with(200)
        .with_body({"id": match.int(1)})
    )
    with pact.serve(addr="127.0.0.1") as server:
        session = requests.Session()
        session.trust_env = False
        assert session.get(f"{server.url}{path}").json() == {"id": 1}
    assert expect_ok

def test_one(consumer_pact):
    check(consumer_pact, "product 1", "/products/1")

def test_two(consumer_pact):
    check(consumer_pact, "product 2", "/products/2")
"""

PROVIDER_SIDE_TEST = """
import json

def test_reads_fresh_pact(contracts_dir):
    pact = json.loads((contracts_dir / "orders-catalog.json").read_text())
    assert [i["description"] for i in pact["interactions"]] == [
        "product 1", "product 2"
    ]
"""


def test_consumer_pacts_are_published_after_their_module_and_start_clean(
    project: pytest.Pytester,
) -> None:
    write_pact(
        project.path / "pacts",
        "orders",
        "catalog",
        [interaction("removed from the consumer tests", "/gone")],
    )
    consumer = project.path / "consumer"
    consumer.mkdir()
    (consumer / "test_consumer.py").write_text(CONSUMER_TESTS)
    provider = project.path / "provider"
    provider.mkdir()
    (provider / "test_provider.py").write_text(PROVIDER_SIDE_TEST)

    result = project.runpytest("consumer", "provider")

    result.assert_outcomes(passed=3)
    pact = json.loads((project.path / "pacts" / "orders-catalog.json").read_text())
    assert [i["description"] for i in pact["interactions"]] == [
        "product 1",
        "product 2",
    ], "the interaction removed from the consumer tests is gone"


def test_a_failing_consumer_test_keeps_the_committed_pact(
    project: pytest.Pytester,
) -> None:
    committed = project.path / "pacts" / "orders-catalog.json"
    before = committed.read_bytes()
    project.makepyfile(
        test_consumer=CONSUMER_TESTS.replace(
            '"/products/2")', '"/products/2", expect_ok=False)'
        )
    )

    result = project.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    assert committed.read_bytes() == before
