"""Bad input to the contract commands: missing paths, unknown versions, no metadata."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from harness.contracts import pactfile
from harness.contracts.broker import BrokerContractStore
from harness.contracts.local import LocalContractStore
from harness.contracts.serving import serve_wsgi
from harness.errors import ContractError

from .helpers import interaction, loopback_session, write_pact
from .test_cli import cdh

StartResponse = Callable[..., Any]


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A local store where orders@o1 published a pact with catalog."""
    written = write_pact(
        tmp_path / "out", "orders", "catalog", [interaction("one", "/products/1")]
    )
    store = LocalContractStore(tmp_path / "store", include_working_copies=False)
    store.publish([pactfile.load(written)], "o1", "main")
    return tmp_path / "store"


@pytest.mark.parametrize("service", ["orders", "catalog"])
def test_can_i_deploy_an_unpublished_version_says_no(
    capsys: pytest.CaptureFixture[str], published: Path, service: str
) -> None:
    code, out = cdh(
        capsys,
        "can-i-deploy",
        service,
        "--version",
        "nope",
        "--to",
        "production",
        "--dir",
        str(published),
    )

    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"can {service}@nope go to production? no"
    assert lines[-1] == (
        f"- {service}@nope is unknown to the contract store in {published}: it "
        "never published a pact or a verification and was never recorded "
        "deployed — check the version"
    )


def test_can_i_deploy_a_service_the_store_never_saw_is_an_error_naming_it(
    capsys: pytest.CaptureFixture[str], published: Path
) -> None:
    code, out = cdh(
        capsys,
        "can-i-deploy",
        "ordrs",
        "--version",
        "o1",
        "--to",
        "production",
        "--dir",
        str(published),
    )

    assert (code, out) == (
        2,
        f"cdh: error: ordrs: the contract store in {published} has never seen "
        "this service (known: catalog, orders) — check the name, or publish its "
        "pacts first",
    )


def test_a_version_only_recorded_as_deployed_is_known(published: Path) -> None:
    store = LocalContractStore(published)
    store.record_deployment("catalog", "c9", "staging")

    decision = store.can_i_deploy("catalog", "c9", "production")

    assert decision.deployable
    assert decision.reasons == [
        "no pact joins catalog@c9 to anything deployed in production"
    ]


def test_ls_of_a_missing_path_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nonexist"

    assert cdh(capsys, "contracts", "ls", str(missing)) == (
        2,
        f"cdh: error: {missing}: no such folder or pact file — give the "
        "contracts folder (default ./contracts) or a pact file",
    )


def test_ls_of_a_malformed_pact_file_is_an_error_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "bad" / "empty.json"
    empty.parent.mkdir()
    empty.write_text("")

    code, out = cdh(capsys, "contracts", "ls", str(empty))

    assert code == 2
    assert out.startswith(f"cdh: error: {empty}:1: not valid JSON")


def test_ls_of_one_pact_file_lists_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_pact(tmp_path, "orders", "catalog", [interaction("a", "/p")])

    code, out = cdh(capsys, "contracts", "ls", str(path))

    assert code == 0
    assert out.splitlines()[1].split() == [
        "orders",
        "catalog",
        "1",
        "0",
        "3.0.0",
        "-",
        str(path),
    ]


def test_lint_of_an_empty_folder_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = cdh(capsys, "contracts", "lint", str(tmp_path))

    assert code == 2
    assert out.startswith(f"cdh: error: no pact files in {tmp_path} — ")


def test_a_folder_named_like_a_pact_is_not_read_as_one(tmp_path: Path) -> None:
    (tmp_path / "x.json").mkdir()
    write_pact(tmp_path, "orders", "catalog", [interaction("a", "/p")])

    found = list(pactfile.discover(tmp_path))

    assert [p.path.name for p in found] == ["orders-catalog.json"]


def write_without_metadata(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "old-tool.json"
    document = {
        "consumer": {"name": "orders"},
        "provider": {"name": "catalog"},
        "interactions": [interaction("a", "/p")],
    }
    path.write_text(json.dumps(document))
    return path


def test_a_pact_without_metadata_is_read_as_spec_2_and_listed_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_without_metadata(tmp_path / "contracts")

    pact = pactfile.load(path)
    code, out = cdh(capsys, "contracts", "ls", str(path.parent))

    assert pact.spec_major == 2
    assert code == 0
    assert out.splitlines()[1].split()[4:6] == ["2", "(assumed)"]


def test_a_stated_but_unknown_spec_version_is_still_an_error(tmp_path: Path) -> None:
    path = write_pact(tmp_path, "orders", "catalog", [], version="9.0.0")

    with pytest.raises(ContractError, match=r"unknown Pact specification version"):
        pactfile.load(path)


def broker_serving(pact: dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """A minimal Pact Broker WSGI app holding one pact."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        base = f"http://{environ['HTTP_HOST']}"
        path = environ["PATH_INFO"]
        bodies: dict[str, Any] = {
            "/": {"_links": {"pb:latest-pact-versions": {"href": f"{base}/latest"}}},
            "/latest": {"pacts": [{"_links": {"self": {"href": f"{base}/pact/1"}}}]},
            "/pact/1": pact,
        }
        if path not in bodies:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"{}"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(bodies[path]).encode()]

    return app


@pytest.fixture
def served_pact() -> Iterator[Callable[[dict[str, Any]], BrokerContractStore]]:
    with ExitStack() as stack:

        def serve(pact: dict[str, Any]) -> BrokerContractStore:
            url = stack.enter_context(serve_wsgi(broker_serving(pact)))
            store = BrokerContractStore(url, session=loopback_session())
            stack.callback(store.close)
            return store

        yield serve


def test_a_malformed_broker_pact_is_reported_with_its_broker_url(
    served_pact: Callable[[dict[str, Any]], BrokerContractStore],
) -> None:
    store = served_pact({"consumer": {"name": "orders"}, "interactions": []})

    with pytest.raises(ContractError) as caught:
        store.summaries()

    assert str(caught.value) == (
        f"{store.base_url}/pact/1: missing provider.name — a pact must name "
        "its consumer and provider"
    )


def test_broker_and_folder_list_the_same_spec_text(
    served_pact: Callable[[dict[str, Any]], BrokerContractStore], tmp_path: Path
) -> None:
    path = write_pact(tmp_path, "orders", "catalog", [], version="4.0")
    store = served_pact(json.loads(path.read_text()))

    [remote] = store.summaries()
    [local] = LocalContractStore(tmp_path).summaries()

    assert remote.spec == local.spec == "4.0"
