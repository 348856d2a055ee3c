"""`contracts diff`: matcher kinds, inherited matchers, array lengths, renames."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.contracts import pactfile
from harness.contracts.diff import diff

from .test_diff_lint import REAL_PACTS, changes_between, product


def matcher(kind: str) -> dict[str, Any]:
    return {"matchers": [{"match": kind}]}


def real_pact(name: str) -> dict[str, Any]:
    path = REAL_PACTS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def real_changes(tmp_path: Path, name: str, changed: dict[str, Any]) -> list[str]:
    edited = tmp_path / name
    edited.write_text(json.dumps(changed))
    found = diff(pactfile.load(REAL_PACTS / name), pactfile.load(edited))
    return [f"{'BREAKING' if c.breaking else 'ok'}: {c.what}" for c in found]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("integer", "type", "ok: matcher on $.id loosened (integer → type)"),
        ("type", "integer", "BREAKING: matcher on $.id tightened (type → integer)"),
        ("number", "type", "ok: matcher on $.id loosened (number → type)"),
        ("type", "number", "ok: matcher on $.id tightened (type → number)"),
        ("integer", "decimal", "BREAKING: matcher on $.id changed (integer → decimal)"),
    ],
)
def test_number_matcher_kind_changes_are_reported(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    before = [product({"$.id": matcher(old)})]
    after = [product({"$.id": matcher(new)})]

    assert changes_between(tmp_path, before, after) == [expected]


def test_removing_min_from_a_real_v2_array_rule_pins_the_array_length(
    tmp_path: Path,
) -> None:
    name = "consumeraclient-providerbhub.json"
    document = real_pact(name)
    del document["interactions"][1]["response"]["matchingRules"]["$.body"]

    assert real_changes(tmp_path, name, document) == [
        "BREAKING: matcher on $ tightened (type min 1 → exact value)"
    ]
    [change] = diff(pactfile.load(REAL_PACTS / name), pactfile.load(tmp_path / name))
    assert change.why == "the array must now have exactly 1 item(s)"


def test_removed_regex_under_a_parent_type_matcher_is_a_loosening(
    tmp_path: Path,
) -> None:
    name = "userserviceclient-userservice.json"
    document = real_pact(name)
    del document["interactions"][1]["response"]["matchingRules"]["body"]["$.id"]

    assert real_changes(tmp_path, name, document) == [
        "ok: matcher on $.id loosened (regex → type from $)"
    ]


def test_a_field_without_rules_under_a_type_matched_parent_is_not_exact(
    tmp_path: Path,
) -> None:
    old = [product({"$": matcher("type")})]
    new = [product({"$": matcher("type")}, name="Kettle")]

    assert changes_between(tmp_path, old, new) == []


def test_renamed_description_is_a_rename_not_a_removal_and_addition(
    tmp_path: Path,
) -> None:
    name = "userserviceclient-userservice.json"
    document = real_pact(name)
    document["interactions"][3]["description"] = "UserA as JSON"

    assert real_changes(tmp_path, name, document) == [
        "ok: interaction renamed from 'new-http-interaction'"
    ]


def test_renamed_provider_state_is_reported_as_one_breaking_rename(
    tmp_path: Path,
) -> None:
    old = [product({"$.id": matcher("integer")})]
    new = copy.deepcopy(old)
    new[0]["providerStates"] = [{"name": "beans are in stock"}]

    assert changes_between(tmp_path, old, new) == [
        "BREAKING: provider state renamed from 'product 1 exists' to "
        "'beans are in stock'"
    ]


def test_two_interactions_with_one_request_are_not_paired_by_guess(
    tmp_path: Path,
) -> None:
    first, second = product(), product()
    second["providerStates"] = [{"name": "product 1 is sold out"}]
    renamed = [copy.deepcopy(first), copy.deepcopy(second)]
    renamed[0]["providerStates"] = [{"name": "a"}]
    renamed[1]["providerStates"] = [{"name": "b"}]

    found = changes_between(tmp_path, [first, second], renamed)

    assert found.count("BREAKING: added interaction") == 2
    assert found.count("BREAKING: removed interaction") == 2
