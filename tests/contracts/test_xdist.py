"""Consumer tests under pytest-xdist lose no interactions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MANY_CONSUMER_TESTS = """
import pytest
import requests
from pact import match

@pytest.mark.parametrize("n", range(1, 13))
def test_product(consumer_pact, n):
    pact = consumer_pact("orders", "catalog")
    (
        pact.upon_receiving(f"product {n:02d}")
        .given("products exist", id=n)
        .with_request("GET", f"/products/{n}")
        .will_respond_with(200)
        .with_body({"id": match.int(n)})
    )
    with pact.serve(addr="127.0.0.1") as server:
        session = requests.Session()
        session.trust_env = False
        assert session.get(f"{server.url}/products/{n}").json() == {"id": n}
    assert n != FAIL_AT
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = --strict-markers\ncdh_contracts = pacts\n")
    (pytester.path / "pacts").mkdir()
    (pytester.path / "pacts" / "orders-catalog.json").write_text(
        json.dumps(
            {
                "consumer": {"name": "orders"},
                "provider": {"name": "catalog"},
                "interactions": [
                    {
                        "description": "lingering",
                        "request": {"method": "GET", "path": "/x"},
                        "response": {"status": 200},
                    }
                ],
                "metadata": {"pactSpecification": {"version": "4.0"}},
            }
        )
    )
    return pytester


def descriptions(folder: Path) -> list[str]:
    pact = json.loads((folder / "orders-catalog.json").read_text())
    return [i["description"] for i in pact["interactions"]]


def test_two_workers_publish_every_interaction_once(project: pytest.Pytester) -> None:
    project.makepyfile(test_consumer=MANY_CONSUMER_TESTS.replace("FAIL_AT", "0"))

    result = project.runpytest_subprocess("-n", "2", "-p", "xdist")

    result.assert_outcomes(passed=12)
    assert descriptions(project.path / "pacts") == [
        f"product {n:02d}" for n in range(1, 13)
    ]
    assert not list((project.path / "pacts").glob(".cdh-tmp-*"))


def test_a_failure_on_one_worker_keeps_the_committed_pact(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_consumer=MANY_CONSUMER_TESTS.replace("FAIL_AT", "7"))

    result = project.runpytest_subprocess("-n", "2", "-p", "xdist")

    result.assert_outcomes(passed=11, failed=1)
    assert descriptions(project.path / "pacts") == ["lingering"]


def run_contract_layer(contracts: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "contract",
            "suites/contract/consumer",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--contracts={contracts}",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_contract_layer_with_four_workers_writes_what_a_serial_run_writes(
    tmp_path: Path,
) -> None:
    run_contract_layer(tmp_path / "serial")
    run_contract_layer(tmp_path / "parallel", "-n", "4")

    serial = sorted(p.name for p in (tmp_path / "serial").glob("*.json"))
    assert serial == sorted(p.name for p in (tmp_path / "parallel").glob("*.json"))
    assert len(serial) == 3
    for name in serial:
        one = json.loads((tmp_path / "serial" / name).read_text())
        many = json.loads((tmp_path / "parallel" / name).read_text())
        assert many["interactions"] == one["interactions"], name
