"""Reading pact files of every specification version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.contracts import pactfile
from harness.errors import ContractError

from .helpers import interaction, write_pact


@pytest.mark.parametrize(
    ("metadata", "major"),
    [
        ({"pactSpecification": {"version": "4.0"}}, 4),
        ({"pactSpecification": {"version": "3.0.0"}}, 3),
        ({"pact-specification": {"version": "2.0.0"}}, 2),
        ({"pactSpecificationVersion": "1.0.0"}, 1),
    ],
    ids=["v4", "v3", "v2-old-key", "v1-ruby-key"],
)
def test_specification_version_is_read_from_every_layout(
    tmp_path: Path, metadata: dict[str, object], major: int
) -> None:
    path = write_pact(tmp_path, "orders", "catalog", [])
    document = json.loads(path.read_text())
    document["metadata"] = metadata
    path.write_text(json.dumps(document))

    assert pactfile.load(path).spec_major == major


def test_states_are_read_from_v2_and_v3_interactions() -> None:
    v2 = {"description": "a", "providerState": "books exist", "request": {}}
    v3 = interaction("b", "/", states=["state one", "state two"])

    assert pactfile.state_names(v2) == ["books exist"]
    assert pactfile.state_names(v3) == ["state one", "state two"]
    assert pactfile.state_names(interaction("c", "/")) == []


def test_messages_are_told_apart_from_http_interactions(tmp_path: Path) -> None:
    http = interaction("health", "/health")
    v4_message = {"type": "Asynchronous/Messages", "description": "m4"}
    path = write_pact(
        tmp_path,
        "orders",
        "catalog",
        [http, v4_message],
        version="4.0",
        messages=[{"description": "m3", "contents": {}}],
    )

    pact = pactfile.load(path)

    assert [i["description"] for i in pact.http_interactions] == ["health"]
    assert [m["description"] for m in pact.message_interactions] == ["m4", "m3"]
    served = pact.with_interactions(pact.http_interactions)
    assert "messages" not in served
    assert served["interactions"] == [http]


def test_interaction_without_a_request_method_is_an_error(tmp_path: Path) -> None:
    broken = interaction("health", "/health")
    del broken["request"]["method"]
    path = write_pact(tmp_path, "orders", "catalog", [broken])

    with pytest.raises(ContractError, match=f"{path}: interaction 'health' has no"):
        pactfile.load(path)


def test_a_pact_that_is_a_json_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]")

    with pytest.raises(ContractError, match="must hold a JSON object"):
        pactfile.load(path)


def test_select_filters_by_provider_and_consumer(tmp_path: Path) -> None:
    write_pact(tmp_path, "orders", "catalog", [])
    write_pact(tmp_path, "storefront", "catalog", [])
    write_pact(tmp_path, "storefront", "orders", [])

    by_provider = pactfile.select(tmp_path, "catalog")
    by_pair = pactfile.select(tmp_path, "catalog", "storefront")

    assert [p.consumer for p in by_provider] == ["orders", "storefront"]
    assert [(p.consumer, p.provider) for p in by_pair] == [("storefront", "catalog")]
