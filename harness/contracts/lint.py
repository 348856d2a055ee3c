"""Contract smells: ``cdh contracts lint``.

Each rule flags something that lets a broken provider pass verification or
breaks a consumer later:

- ``array-without-min``: an array matched by type with no ``min``
  (``each_like`` without a minimum), so an empty ``[]`` verifies and the
  consumer's per-item code is never exercised against the provider;
- ``content-type-regex-no-charset``: a regex on Content-Type that rejects
  ``; charset=utf-8``, which many frameworks append;
- ``body-without-content-type``: a body with no content type, so the
  verifier and stubs guess how to compare it;
- ``unencoded-path``: a request path with characters that need percent
  encoding (pact compares paths encoded, so it never matches);
- ``localhost-url``: ``localhost`` in a URL, which resolves to ::1 on some
  hosts and 127.0.0.1 on others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.contracts import bodies
from harness.contracts.pactfile import PactFile, describe

_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_LOCALHOST = re.compile(r"(//|^)localhost([:/]|$)", re.IGNORECASE)

Report = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Finding:
    """One smell in one interaction.

    Attributes:
        rule: the rule's id, e.g. ``array-without-min``.
        pact: the pact file.
        interaction: the interaction's label.
        where: e.g. ``response body $.products``.
        message: what is wrong and what to do.
    """

    rule: str
    pact: str
    interaction: str
    where: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.pact}: {self.interaction}: {self.where}: "
            f"{self.message} [{self.rule}]"
        )


def lint(pact: PactFile) -> list[Finding]:
    """Every smell in ``pact``'s HTTP interactions, in file order."""
    findings: list[Finding] = []
    for interaction in pact.http_interactions:
        label = describe(interaction)

        def found(rule: str, where: str, message: str, label: str = label) -> None:
            findings.append(Finding(rule, str(pact.path), label, where, message))

        request = interaction.get("request") or {}
        response = interaction.get("response") or {}
        for side, part in (("request", request), ("response", response)):
            _arrays(part, side, found)
            _content_type(part, side, found)
        _path(request, found)
        _localhost(interaction, found)
    return findings


def _arrays(part: dict[str, Any], side: str, found: Report) -> None:
    present, example, _ = bodies.body(part)
    if not present:
        return
    rules = bodies.rules(part, "body")
    for path, value in bodies.walk(example):
        if not isinstance(value, list):
            continue
        matchers = rules.get(path, [])
        by_type = any(m.get("match") == "type" for m in matchers)
        if by_type and not any("min" in m for m in matchers):
            found(
                "array-without-min",
                f"{side} body {path}",
                "array matched by type with no minimum, so [] verifies — "
                "use each_like(..., min=1)",
            )


def _content_type(part: dict[str, Any], side: str, found: Report) -> None:
    present, _, content_type = bodies.body(part)
    if present and not content_type:
        found(
            "body-without-content-type",
            f"{side} body",
            "the body has no Content-Type, so matching guesses its format — "
            "declare one",
        )

    declared = bodies.headers(part).get("content-type", "")
    for matcher in bodies.rules(part, "header").get("content-type", []):
        pattern = matcher.get("regex")
        if matcher.get("match") != "regex" or not isinstance(pattern, str):
            continue
        media = (declared or "application/json").split(";")[0].strip()
        if not _matches(pattern, f"{media}; charset=utf-8"):
            found(
                "content-type-regex-no-charset",
                f"{side} header Content-Type",
                f"regex {pattern!r} rejects '{media}; charset=utf-8' — allow "
                "parameters, e.g. append (;.*)?",
            )


def _path(request: dict[str, Any], found: Report) -> None:
    path = request.get("path")
    if isinstance(path, str) and quote(path, safe=_PATH_SAFE) != path:
        found(
            "unencoded-path",
            "request path",
            f"{path!r} is not percent-encoded; pact compares encoded paths — "
            f"write {quote(path, safe=_PATH_SAFE)!r}",
        )


def _localhost(interaction: dict[str, Any], found: Report) -> None:
    for text in bodies.strings(interaction):
        if _LOCALHOST.search(text):
            found(
                "localhost-url",
                "value",
                f"{text[:80]!r} names localhost, which is ::1 on some hosts and "
                "127.0.0.1 on others — use 127.0.0.1 or a generator",
            )
            return


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False
