"""Consumer pacts: clean per session, published atomically."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pact import Pact

from harness.contracts.consumer import PactRecorder

from .helpers import interaction, write_pact


@pytest.fixture
def recorder(contracts: Path) -> Iterator[PactRecorder]:
    made = PactRecorder(contracts)
    yield made
    made.close()


def declare(pact: Pact, description: str, path: str) -> Pact:
    (
        pact.upon_receiving(description)
        .with_request("GET", path)
        .will_respond_with(200)
        .with_body({"ok": True})
    )
    return pact


def descriptions(path: Path) -> list[str]:
    return [i["description"] for i in json.loads(path.read_text())["interactions"]]


def test_published_pact_holds_the_passing_tests_interactions(
    recorder: PactRecorder, contracts: Path
) -> None:
    for name in ("first", "second"):
        pact = declare(recorder.new_pact("orders", "catalog"), name, f"/{name}")
        recorder.record(pact, passed=True)

    published = recorder.publish()

    target = contracts / "orders-catalog.json"
    assert published == [target]
    assert descriptions(target) == ["first", "second"]
    assert target.read_text().endswith("}\n")
    assert json.loads(target.read_text())["metadata"]["pactSpecification"] == {
        "version": "4.0"
    }


def test_a_new_session_starts_clean_so_removed_interactions_do_not_linger(
    recorder: PactRecorder, contracts: Path
) -> None:
    write_pact(
        contracts, "orders", "catalog", [interaction("removed last week", "/old")]
    )

    recorder.record(
        declare(recorder.new_pact("orders", "catalog"), "kept", "/k"), passed=True
    )
    recorder.publish()

    assert descriptions(contracts / "orders-catalog.json") == ["kept"]


def test_a_pair_with_a_failed_test_is_not_published(
    recorder: PactRecorder, contracts: Path
) -> None:
    committed = write_pact(contracts, "orders", "catalog", [interaction("old", "/o")])
    before = committed.read_bytes()

    recorder.record(
        declare(recorder.new_pact("orders", "catalog"), "a", "/a"), passed=True
    )
    recorder.record(
        declare(recorder.new_pact("orders", "catalog"), "b", "/b"), passed=False
    )
    recorder.record(
        declare(recorder.new_pact("storefront", "catalog"), "c", "/c"), passed=True
    )

    published = recorder.publish()

    assert published == [contracts / "storefront-catalog.json"]
    assert committed.read_bytes() == before
    assert recorder.failed_pairs == [("orders", "catalog")]


def test_publishing_again_adds_later_tests_interactions(
    recorder: PactRecorder, contracts: Path
) -> None:
    recorder.record(
        declare(recorder.new_pact("orders", "catalog"), "a", "/a"), passed=True
    )
    recorder.publish()
    recorder.record(
        declare(recorder.new_pact("orders", "catalog"), "b", "/b"), passed=True
    )
    recorder.publish()

    assert descriptions(contracts / "orders-catalog.json") == ["a", "b"]


def test_publish_replaces_the_file_whole_and_leaves_no_temporary_files(
    recorder: PactRecorder, contracts: Path
) -> None:
    target = write_pact(contracts, "orders", "catalog", [interaction("old", "/o")])
    old_text = target.read_text()
    for index in range(200):  # a large pact makes a torn read likely
        pact = declare(recorder.new_pact("orders", "catalog"), f"i{index}", f"/{index}")
        recorder.record(pact, passed=True)

    torn: list[str] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                json.loads(target.read_text())
            except json.JSONDecodeError as error:
                torn.append(str(error))

    reader = threading.Thread(target=read_continuously)
    # A reader that opened the old file keeps reading it whole.
    with target.open(encoding="utf-8") as early_reader:
        reader.start()
        try:
            for _ in range(20):
                recorder.publish()
        finally:
            stop.set()
            reader.join()
        assert early_reader.read() == old_text

    assert torn == []
    assert sorted(p.name for p in contracts.iterdir()) == ["orders-catalog.json"]


def test_nothing_is_published_before_any_test_passed(
    recorder: PactRecorder, contracts: Path
) -> None:
    assert recorder.publish() == []
    assert list(contracts.iterdir()) == []
