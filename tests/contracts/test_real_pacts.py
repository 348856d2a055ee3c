"""Every HTTP interaction of real pact files is answered as its pact says.

The files (shared/real-pacts/, beside the repository) come from other
projects' consumer tests and span spec versions 2 to 4: provider states with
parameters, a binary body, a repeated query key, a message interaction and
duplicate descriptions. Each file is served alone; each interaction is asked
for in its first provider state and the answer compared with the pact's
example response.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from harness.contracts import pactfile
from harness.contracts.stub import ContractStubs

from .helpers import loopback_session

REAL_PACTS = Path(
    os.environ.get(
        "CDH_REAL_PACTS",
        Path(__file__).resolve().parents[3] / "shared" / "real-pacts",
    )
)


def _cases() -> list[Any]:
    if not REAL_PACTS.is_dir():
        return [
            pytest.param(None, None, marks=pytest.mark.skip(reason="no real pacts"))
        ]
    cases = []
    for path in sorted(REAL_PACTS.glob("*.json")):
        pact = pactfile.load(path)
        for index, _ in enumerate(pact.http_interactions):
            cases.append(pytest.param(path, index, id=f"{path.stem}[{index}]"))
    return cases


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Any]]:
    """One stub set per real pact file, each over a folder holding only it."""
    opened: dict[Path, ContractStubs] = {}

    def stubs_for(path: Path) -> ContractStubs:
        if path not in opened:
            folder = tmp_path_factory.mktemp(path.stem)
            shutil.copy(path, folder / path.name)
            opened[path] = ContractStubs(folder)
        return opened[path]

    try:
        yield {"for": stubs_for}
    finally:
        for stubs in opened.values():
            stubs.close()


def test_every_real_pact_file_is_covered() -> None:
    if not REAL_PACTS.is_dir():
        pytest.skip(f"{REAL_PACTS} is not here")
    names = {p.name for p in REAL_PACTS.glob("*.json")}
    assert len(names) >= 7
    covered = {case.values[0].name for case in _cases()}
    assert covered == names, "every file has at least one HTTP interaction"


@pytest.mark.parametrize(("path", "index"), _cases())
def test_stub_answers_real_interaction_as_the_pact_says(
    served: dict[str, Any], path: Path, index: int
) -> None:
    pact = pactfile.load(path)
    interaction = pact.http_interactions[index]
    states = pactfile.state_names(interaction)
    url = served["for"](path).url(
        pact.provider, consumer=pact.consumer, state=states[0] if states else None
    )

    for _ in range(2):  # a stub answers repeated requests alike
        answer = _send(url, interaction["request"], pact.spec_major)
        _assert_answer(answer, interaction["response"], pact.spec_major)


def test_message_interaction_of_a_real_pact_is_skipped_with_a_note(
    served: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    path = REAL_PACTS / "v4-combined-pact.json"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    caplog.set_level(logging.INFO, logger="harness.contracts")

    served["for"](path).url("test_provider")

    assert "skipping 1 message interaction(s) in" in caplog.text


def _send(url: str, request: dict[str, Any], spec_major: int) -> requests.Response:
    headers = {k: _header_value(v) for k, v in (request.get("headers") or {}).items()}
    data, content_type = _body_bytes(request, spec_major)
    if content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    return loopback_session().request(
        request["method"].upper(),
        url + request.get("path", "/"),
        params=_query_pairs(request.get("query")),
        headers=headers,
        data=data,
        timeout=5,
    )


def _assert_answer(
    answer: requests.Response, response: dict[str, Any], spec_major: int
) -> None:
    assert answer.status_code == response.get("status", 200), answer.text
    for name, value in (response.get("headers") or {}).items():
        assert answer.headers.get(name) == _header_value(value), name

    expected, content_type = _body_bytes(response, spec_major)
    if expected is None:
        assert answer.content == b""
    elif content_type and "json" in content_type:
        assert answer.json() == json.loads(expected)
    else:
        assert answer.content == expected


def _query_pairs(query: Any) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):  # v2: the raw query string, keys may repeat
        return parse_qsl(query, keep_blank_values=True)
    pairs = []
    for key, values in query.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((key, value))
    return pairs


def _header_value(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _body_bytes(part: dict[str, Any], spec_major: int) -> tuple[bytes | None, str]:
    """The body of a request or response as bytes, and its content type."""
    if "body" not in part:
        return None, ""
    body = part["body"]
    declared = next(
        (
            _header_value(v)
            for k, v in (part.get("headers") or {}).items()
            if k.lower() == "content-type"
        ),
        "",
    )
    if spec_major >= 4 and isinstance(body, dict) and "content" in body:
        content_type = body.get("contentType") or declared
        content = body["content"]
        if body.get("encoded") == "base64":
            return base64.b64decode(content), content_type
        if isinstance(content, str) and "json" not in content_type:
            return content.encode(), content_type
        return json.dumps(content).encode(), content_type or "application/json"
    if isinstance(body, str) and "json" not in declared:
        return body.encode(), declared
    return json.dumps(body).encode(), declared or "application/json"
