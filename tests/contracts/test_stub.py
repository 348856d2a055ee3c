"""Stub providers served from pacts by the `pact mock` server."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.contracts.stub import ContractStubs, _listening_address
from harness.errors import ContractError

from .helpers import interaction, listening_sockets, loopback_session, write_pact

PRODUCT = {"id": 1, "name": "Beans", "price": 12.5, "stock": 40}


@pytest.fixture
def catalog_pact(contracts: Path) -> Path:
    return write_pact(
        contracts,
        "orders",
        "catalog",
        [
            interaction(
                "product 1", "/products/1", 200, PRODUCT, states=["product 1 exists"]
            ),
            interaction(
                "product 1 gone",
                "/products/1",
                404,
                {"error": "product 1 not found"},
                states=["product 1 does not exist"],
            ),
            interaction("health", "/health", 200, {"status": "ok"}),
        ],
    )


def test_stub_answers_every_interaction_as_often_as_asked(
    stubs: ContractStubs, catalog_pact: Path
) -> None:
    url = stubs.url("catalog", state="product 1 exists")
    http = loopback_session()

    answers = [http.get(f"{url}/products/1") for _ in range(3)]

    assert [(a.status_code, a.json()) for a in answers] == [(200, PRODUCT)] * 3
    assert http.get(f"{url}/health").json() == {"status": "ok"}


def test_stub_answers_an_undescribed_request_with_a_mismatch(
    stubs: ContractStubs, catalog_pact: Path
) -> None:
    url = stubs.url("catalog", state="product 1 exists")

    answer = loopback_session().get(f"{url}/products/2")

    assert answer.status_code == 500
    assert answer.headers["x-pact"] == "Unexpected-Request"


def test_state_chooses_between_interactions_sharing_a_request(
    stubs: ContractStubs, catalog_pact: Path
) -> None:
    exists = stubs.url("catalog", consumer="orders", state="product 1 exists")
    gone = stubs.url("catalog", consumer="orders", state="product 1 does not exist")
    http = loopback_session()

    assert exists != gone
    assert http.get(f"{exists}/products/1").status_code == 200
    assert http.get(f"{gone}/products/1").status_code == 404
    # Interactions given no state stay available in every state.
    assert http.get(f"{gone}/health").status_code == 200


def test_without_a_state_the_first_interaction_answers_and_a_warning_says_so(
    stubs: ContractStubs, catalog_pact: Path, contract_logs: pytest.LogCaptureFixture
) -> None:
    url = stubs.url("catalog")

    assert loopback_session().get(f"{url}/products/1").status_code == 200
    assert (
        "'product 1 gone' (GET /products/1) given 'product 1 does not exist' "
        "is answered by 'product 1' (GET /products/1) given 'product 1 exists'; "
        "pass state= to choose"
    ) in contract_logs.text


def test_unknown_state_is_an_error_listing_the_known_states(
    stubs: ContractStubs, catalog_pact: Path
) -> None:
    with pytest.raises(ContractError) as caught:
        stubs.url("catalog", state="product 1 exist")

    message = str(caught.value)
    assert str(catalog_pact) in message
    assert "no interaction is given provider state 'product 1 exist'" in message
    assert "'product 1 does not exist', 'product 1 exists'" in message


def test_missing_pact_is_an_error_naming_folder_and_pacts_found(
    stubs: ContractStubs, contracts: Path, catalog_pact: Path
) -> None:
    with pytest.raises(ContractError) as caught:
        stubs.url("catalog", consumer="storefront")

    assert str(caught.value) == (
        f"{contracts}: no pact for storefront → catalog (found: orders → catalog)"
        " — check the names, or run the consumer tests that write it"
    )


def test_missing_contracts_folder_is_an_error(tmp_path: Path) -> None:
    with ContractStubs(tmp_path / "nowhere") as stubs:
        with pytest.raises(ContractError, match="contracts folder does not exist"):
            stubs.url("catalog")


def test_pact_that_is_not_json_is_an_error_naming_file_and_line(
    stubs: ContractStubs, contracts: Path
) -> None:
    broken = contracts / "orders-catalog.json"
    broken.write_text('{\n  "consumer": {"name": "orders"},\n  "provider": \n}')

    with pytest.raises(ContractError) as caught:
        stubs.url("catalog")

    assert str(caught.value).startswith(f"{broken}:4: not valid JSON")
    assert stubs.pid is None, "no process is started for a broken pact"


@pytest.mark.parametrize("role", ["consumer", "provider"])
def test_pact_without_a_party_is_an_error_naming_it(
    stubs: ContractStubs, contracts: Path, role: str
) -> None:
    path = write_pact(contracts, "orders", "catalog", [])
    document = json.loads(path.read_text())
    del document[role]
    path.write_text(json.dumps(document))

    with pytest.raises(ContractError, match=f"{path}: missing {role}.name"):
        stubs.url("catalog")


@pytest.mark.parametrize("version", ["5.0.0", "banana"])
def test_pact_of_unknown_specification_version_is_an_error(
    stubs: ContractStubs, contracts: Path, version: str
) -> None:
    path = write_pact(contracts, "orders", "catalog", [])
    document = json.loads(path.read_text())
    document["metadata"]["pactSpecification"]["version"] = version
    path.write_text(json.dumps(document))

    with pytest.raises(ContractError) as caught:
        stubs.url("catalog")

    assert str(caught.value).startswith(
        f"{path}: unknown Pact specification version {version!r}"
    )


def test_message_interactions_are_skipped_with_a_log_note(
    stubs: ContractStubs, contracts: Path, contract_logs: pytest.LogCaptureFixture
) -> None:
    http = interaction("health", "/health", 200, {"status": "ok"})
    http["type"] = "Synchronous/HTTP"
    message = {
        "type": "Asynchronous/Messages",
        "description": "product changed",
        "contents": {"content": {"id": 1}, "contentType": "application/json"},
    }
    path = write_pact(contracts, "orders", "catalog", [http, message], version="4.0")

    url = stubs.url("catalog")

    assert loopback_session().get(f"{url}/health").json() == {"status": "ok"}
    assert (
        f"skipping 1 message interaction(s) in {path}: a stub serves HTTP only"
        in contract_logs.text
    )


def test_pact_of_messages_only_is_an_error(
    stubs: ContractStubs, contracts: Path
) -> None:
    write_pact(
        contracts,
        "orders",
        "catalog",
        [],
        messages=[{"description": "product changed", "contents": {"id": 1}}],
    )

    with pytest.raises(ContractError, match="no HTTP interactions to serve"):
        stubs.url("catalog")


def test_pacts_of_several_consumers_are_merged_without_a_consumer(
    stubs: ContractStubs, contracts: Path
) -> None:
    write_pact(contracts, "orders", "catalog", [interaction("one", "/products/1")])
    write_pact(contracts, "storefront", "catalog", [interaction("all", "/products")])

    url = stubs.url("catalog")
    http = loopback_session()

    assert http.get(f"{url}/products/1").status_code == 200
    assert http.get(f"{url}/products").status_code == 200


def test_pacts_of_different_versions_need_a_consumer(
    stubs: ContractStubs, contracts: Path
) -> None:
    write_pact(contracts, "orders", "catalog", [interaction("one", "/products/1")])
    write_pact(
        contracts,
        "storefront",
        "catalog",
        [interaction("all", "/products")],
        version="2.0.0",
    )

    with pytest.raises(ContractError, match="pass consumer= to choose one"):
        stubs.url("catalog")
    assert stubs.url("catalog", consumer="storefront").startswith("http://127.0.0.1:")


def test_same_request_gives_the_same_stub_until_the_pact_changes(
    stubs: ContractStubs, contracts: Path
) -> None:
    path = write_pact(contracts, "orders", "catalog", [interaction("a", "/a")])
    first = stubs.url("catalog")
    assert stubs.url("catalog") == first

    time.sleep(0.01)
    write_pact(contracts, "orders", "catalog", [interaction("b", "/b")])
    os.utime(path, ns=(time.time_ns(), time.time_ns()))
    second = stubs.url("catalog")

    assert second != first
    assert loopback_session().get(f"{second}/b").status_code == 200


def test_stub_and_its_master_listen_on_loopback_only(
    stubs: ContractStubs, catalog_pact: Path
) -> None:
    url = stubs.url("catalog", state="product 1 exists")
    assert stubs.pid is not None

    sockets = listening_sockets(stubs.pid)

    assert ("127.0.0.1", urlsplit(url).port) in sockets
    assert len(sockets) == 2, "the master and one mock server"
    assert {address for address, _ in sockets} == {"127.0.0.1"}


def test_close_stops_the_master_process(contracts: Path, catalog_pact: Path) -> None:
    stubs = ContractStubs(contracts)
    url = stubs.url("catalog", state="product 1 exists")
    pid = stubs.pid
    assert pid is not None

    stubs.close()

    assert not Path(f"/proc/{pid}").exists()
    assert stubs.pid is None
    with pytest.raises(OSError):
        loopback_session().get(f"{url}/products/1", timeout=2)


def test_master_connection_dropped_without_an_answer_is_asked_again(
    tmp_path: Path,
) -> None:
    # A stand-in master: drops the first connection unanswered, answers the next.
    listener = socket.create_server(("127.0.0.1", 0))
    answers = []

    def serve() -> None:
        for attempt in range(2):
            connection, _ = listener.accept()
            with connection:
                connection.recv(4096)
                if attempt == 1:
                    body = b'{"address": "127.0.0.1:1"}'
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                        b"Connection: close\r\n\r\n%s" % (len(body), body)
                    )
                answers.append(attempt)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    stubs = ContractStubs(tmp_path)
    stubs._port = listener.getsockname()[1]

    assert stubs._master_get("/mockserver/1") == {"address": "127.0.0.1:1"}
    thread.join(timeout=5)
    listener.close()
    assert answers == [0, 1]


@pytest.mark.parametrize(
    ("bind", "family", "loopback_only"),
    [
        ("127.0.0.1", socket.AF_INET, True),
        ("0.0.0.0", socket.AF_INET, False),
        ("::", socket.AF_INET6, False),
    ],
)
def test_listening_address_is_read_from_the_kernel(
    bind: str, family: socket.AddressFamily, loopback_only: bool
) -> None:
    with socket.create_server((bind, 0), family=family) as server:
        port = server.getsockname()[1]

        address = _listening_address(port)

    assert (address == f"127.0.0.1:{port}") is loopback_only
