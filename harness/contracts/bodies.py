"""Bodies, headers and matching rules of a request or response, in any spec.

Spec 2 keeps matching rules flat (``{"$.body.id": {"match": "type"}}``),
specs 3 and 4 group them by category with a list of matchers each, and spec
4 wraps bodies as ``{"content": ..., "contentType": ...}``. These helpers
give :mod:`~harness.contracts.diff` and :mod:`~harness.contracts.lint` one
shape: body paths like ``$.products[*].id`` mapped to lists of matchers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_INDEX = re.compile(r"\[\d+\]")
_QUOTED_KEY = re.compile(r"\['([^']*)'\]")
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\*|\d+)\]")
# Matchers a parent path does not hand down to its children.
_NOT_CASCADED = frozenset({"values", "eachKey", "eachValue", "arrayContains"})

Matcher = dict[str, Any]


def headers(part: dict[str, Any]) -> dict[str, str]:
    """Header name (lower case) → value, lists joined as the wire would."""
    found = {}
    for name, value in (part.get("headers") or {}).items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        found[str(name).lower()] = text
    return found


def body(part: dict[str, Any]) -> tuple[bool, Any, str]:
    """Whether ``part`` has a body, its example value, and its content type.

    The content type comes from the headers, else a v4 body's own field.
    """
    declared = headers(part).get("content-type", "")
    if "body" not in part:
        return False, None, declared
    value = part["body"]
    if isinstance(value, dict) and "content" in value and "contentType" in value:
        return True, value.get("content"), declared or str(value["contentType"] or "")
    return True, value, declared


def rules(part: dict[str, Any], category: str) -> dict[str, list[Matcher]]:
    """Matching rules of one category (``body``, ``header``, ``path``...).

    Body paths are normalised to ``$.a.b[*]``; header names to lower case.
    """
    raw = part.get("matchingRules") or {}
    found: dict[str, list[Matcher]] = {}
    if category in raw and isinstance(raw[category], dict):
        for path, rule in raw[category].items():
            matchers = rule.get("matchers") if isinstance(rule, dict) else None
            if matchers is None and isinstance(rule, dict):
                matchers = [rule]
            found[_normal(str(path), category)] = list(matchers or [])
        return found

    prefix = {"body": "$.body", "header": "$.headers.", "path": "$.path"}.get(category)
    for path, rule in raw.items():
        if prefix and str(path).startswith(prefix) and isinstance(rule, dict):
            rest = str(path)[len(prefix) :]
            key = "$" + rest if category == "body" else rest
            found[_normal(key, category)] = [rule]
    return found


def effective(
    found: dict[str, list[Matcher]], path: str
) -> tuple[str | None, list[Matcher]]:
    """The matchers that apply at ``path`` and the rule path they come from.

    As the Pact verifiers do, the most specific rule whose path matches
    ``path`` or one of its parents wins (``*`` matches any key or index),
    so a ``type`` matcher on ``$`` also covers ``$.id`` when ``$.id`` has
    no rule of its own. ``(None, [])`` means the exact example applies.
    """
    wanted = _tokens(path)
    best: tuple[tuple[int, int], str, list[Matcher]] | None = None
    for rule_path, matchers in found.items():
        tokens = _tokens(rule_path)
        if len(tokens) > len(wanted):
            continue
        pairs = list(zip(tokens, wanted, strict=False))
        if not all(r in ("*", w) for r, w in pairs):
            continue
        weight = (len(tokens), sum(r != "*" for r, _ in pairs))
        if best is None or weight > best[0]:
            best = (weight, rule_path, matchers)
    if best is None:
        return None, []

    _, rule_path, matchers = best
    if rule_path != path:
        matchers = [m for m in matchers if m.get("match") not in _NOT_CASCADED]
    return (rule_path, matchers) if matchers else (None, [])


def walk(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every (path, value) of a JSON example, arrays as ``[*]`` (first item)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list) and value:
        yield from walk(value[0], f"{path}[*]")


def json_type(value: Any) -> str:
    """The JSON type of an example value (integers told apart from decimals)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def _normal(path: str, category: str) -> str:
    if category == "header":
        return path.lower()
    path = _QUOTED_KEY.sub(lambda m: "." + m.group(1), path)
    return _INDEX.sub("[*]", path)


def _tokens(path: str) -> list[str]:
    rest = path.removeprefix("$")
    return [m.group(1) or "[*]" for m in _TOKEN.finditer(rest)]
