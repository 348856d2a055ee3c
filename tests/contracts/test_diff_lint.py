"""`contracts diff` and `contracts lint` on test pacts and real pacts."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.contracts import pactfile
from harness.contracts.diff import diff
from harness.contracts.lint import lint

from .helpers import write_pact

REAL_PACTS = Path(
    os.environ.get(
        "CDH_REAL_PACTS", Path(__file__).resolve().parents[3] / "shared" / "real-pacts"
    )
)


def product(rules: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": {"id": 1, "name": "Beans", "price": 12.5, **body},
    }
    if rules is not None:
        response["matchingRules"] = {"body": rules}
    return {
        "description": "a request for product 1",
        "providerStates": [{"name": "product 1 exists"}],
        "request": {"method": "GET", "path": "/products/1"},
        "response": response,
    }


def typed(*paths: str) -> dict[str, Any]:
    return {p: {"matchers": [{"match": "type"}]} for p in paths}


def changes_between(tmp_path: Path, old: Any, new: Any) -> list[str]:
    before = pactfile.load(write_pact(tmp_path / "old", "orders", "catalog", old))
    after = pactfile.load(write_pact(tmp_path / "new", "orders", "catalog", new))
    return [
        f"{'BREAKING' if c.breaking else 'ok'}: {c.what}" for c in diff(before, after)
    ]


def test_removed_field_and_changed_type_are_breaking(tmp_path: Path) -> None:
    old = [product(typed("$.id", "$.name", "$.price"))]
    new = [product(typed("$.id", "$.name", "$.price"), price="12.50")]
    del new[0]["response"]["body"]["name"]

    assert changes_between(tmp_path, old, new) == [
        "BREAKING: response field $.price type changed from decimal to string",
        "BREAKING: removed response field $.name",
    ]


def test_added_field_interaction_and_tightened_matcher_are_breaking(
    tmp_path: Path,
) -> None:
    old = [product(typed("$.id", "$.name", "$.price"))]
    extra = copy.deepcopy(old[0])
    extra["description"] = "a request for product 2"
    new = [product(typed("$.id", "$.price"), stock=4), extra]
    new[0]["response"]["matchingRules"]["body"]["$.stock"] = {
        "matchers": [{"match": "integer"}]
    }

    assert changes_between(tmp_path, old, new) == [
        "BREAKING: added interaction",
        "BREAKING: matcher on $.name tightened (type → exact value)",
        "BREAKING: response field $.stock newly required",
    ]


def test_loosened_matcher_is_listed_not_breaking(tmp_path: Path) -> None:
    old = [product({"$.name": {"matchers": [{"match": "regex", "regex": "B.*"}]}})]
    new = [product(typed("$.name"))]

    assert changes_between(tmp_path, old, new) == [
        "ok: matcher on $.name loosened (regex → type)"
    ]


def test_removed_interaction_and_changed_request_are_breaking(tmp_path: Path) -> None:
    first, second = product(), product()
    second["description"] = "a request for product 2"
    moved = copy.deepcopy(first)
    moved["request"]["path"] = "/v2/products/1"

    assert changes_between(tmp_path, [first, second], [moved]) == [
        "BREAKING: request path changed from '/products/1' to '/v2/products/1'",
        "BREAKING: removed interaction",
    ]


def real_pacts() -> list[Path]:
    if not REAL_PACTS.is_dir():
        pytest.skip(f"{REAL_PACTS} is not here")
    return sorted(REAL_PACTS.glob("*.json"))


def test_a_real_pact_has_no_changes_against_itself() -> None:
    for path in real_pacts():
        pact = pactfile.load(path)
        assert diff(pact, pact) == [], path.name


def test_v2_matching_rules_are_read_when_diffing_a_real_pact(tmp_path: Path) -> None:
    [path] = [p for p in real_pacts() if p.name == "test-pact-matchers-v2.json"]
    document = json.loads(path.read_text())
    document["interactions"][0]["response"]["body"]["responsetest"] = "yes"
    changed = tmp_path / path.name
    changed.write_text(json.dumps(document))

    [change] = diff(pactfile.load(path), pactfile.load(changed))

    assert change.what == (
        "response field $.responsetest type changed from boolean to string"
    )
    assert change.breaking


def test_lint_reports_each_smell_on_a_test_pact(tmp_path: Path) -> None:
    smelly = product(typed("$.tags"), tags=["fresh"])
    smelly["response"]["headers"] = {"Content-Type": "application/json"}
    smelly["response"]["matchingRules"]["header"] = {
        "Content-Type": {"matchers": [{"match": "regex", "regex": "application/json"}]}
    }
    smelly["request"]["path"] = "/products/espresso beans"
    smelly["request"]["body"] = "name=beans"
    smelly["response"]["body"]["self"] = "http://localhost:8080/products/1"
    pact = pactfile.load(write_pact(tmp_path, "orders", "catalog", [smelly]))

    assert sorted({f.rule for f in lint(pact)}) == [
        "array-without-min",
        "body-without-content-type",
        "content-type-regex-no-charset",
        "localhost-url",
        "unencoded-path",
    ]
    by_rule = {f.rule: f for f in lint(pact)}
    assert by_rule["array-without-min"].where == "response body $.tags"
    assert by_rule["body-without-content-type"].where == "request body"
    assert "'/products/espresso%20beans'" in by_rule["unencoded-path"].message


def test_lint_accepts_the_fixed_pact(tmp_path: Path) -> None:
    clean = product(
        {"$.tags": {"matchers": [{"match": "type", "min": 1}]}}, tags=["fresh"]
    )
    clean["response"]["matchingRules"]["header"] = {
        "Content-Type": {
            "matchers": [{"match": "regex", "regex": "application/json(;.*)?"}]
        }
    }
    pact = pactfile.load(write_pact(tmp_path, "orders", "catalog", [clean]))

    assert lint(pact) == []


def test_lint_runs_on_every_real_pact() -> None:
    found = {p.name: lint(pactfile.load(p)) for p in real_pacts()}

    assert {f.rule for f in found["consumeraclient-providerbhub.json"]} == {
        "body-without-content-type"
    }
    assert found["v4-http-pact.json"] == []
