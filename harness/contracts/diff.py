"""What a consumer's pact change does to its provider: ``cdh contracts diff``.

Interactions are matched by description and provider states; those left
over by their request (method, path, query) and states, which reports a
renamed description, then by request and description, which reports
renamed provider states. For each pair the request, the status, and every
response body field are compared: its presence in the example, its JSON
type, and how strict the matcher that applies to it is (exact value >
regex or format > integer or decimal > number > type), counting a matcher
a field inherits from a parent path as the verifiers do. An array without
a matcher must keep its example's exact length. A change is *breaking*
when it can fail the provider's verification (a new interaction or field,
a changed type or request, renamed provider states, a tightened matcher)
or when it lets the provider drop something consumer versions already
deployed still read (a removed interaction or field). Loosened matchers
and renamed descriptions are listed, not breaking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.contracts import bodies
from harness.contracts.pactfile import PactFile, describe, state_names

PROVIDER = "provider"
DEPLOYED = "deployed consumers"

# How much a matcher pins a value down (AND-combined matchers: the strictest);
# a v2 rule with only ``min``/``max`` is a type match; no matcher at all
# means the exact example (for an array: exactly its length).
_STRICTNESS = {
    "type": 10,
    "boolean": 10,
    "null": 10,
    "number": 11,
    "integer": 12,
    "decimal": 12,
    "regex": 20,
    "date": 20,
    "time": 20,
    "timestamp": 20,
    "datetime": 20,
    "include": 20,
    "contentType": 20,
    "semver": 20,
    "equality": 30,
}
EXACT = 30
_OTHER = 20


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a pact.

    Attributes:
        interaction: the interaction's label.
        what: the change, e.g. ``removed response field $.price``.
        breaking: whether it can break someone.
        who: whom it can break (``provider`` or ``deployed consumers``).
        why: one line on the consequence.
    """

    interaction: str
    what: str
    breaking: bool
    who: str = ""
    why: str = ""

    def __str__(self) -> str:
        mark = f"BREAKING ({self.who})" if self.breaking else "ok"
        line = f"{mark:<30} {self.interaction}: {self.what}"
        return f"{line} — {self.why}" if self.why else line


def diff(old: PactFile, new: PactFile) -> list[Change]:
    """Every change from ``old`` to ``new`` (two versions of one pair's pact)."""
    before = list(_by_identity(old).values())
    after = list(_by_identity(new).values())
    pairs = _pair(before, after)
    matched_new = {id(n) for n in pairs.values()}
    changes = [
        Change(
            describe(interaction),
            "added interaction",
            True,
            PROVIDER,
            "the provider must now honour it (pending until it passes once)",
        )
        for interaction in after
        if id(interaction) not in matched_new
    ]
    for interaction in before:
        counterpart = pairs.get(id(interaction))
        if counterpart is None:
            changes.append(
                Change(
                    describe(interaction),
                    "removed interaction",
                    True,
                    DEPLOYED,
                    "the provider may drop it while older consumer versions "
                    "still call it — check can-i-deploy before it does",
                )
            )
            continue
        changes.extend(_renamed(interaction, counterpart))
        changes.extend(_compare(interaction, counterpart))
    return changes


def render(old: PactFile, new: PactFile, changes: list[Change]) -> str:
    """The report ``cdh contracts diff`` prints."""
    head = f"{old.path} → {new.path} ({new.consumer} → {new.provider})"
    if not changes:
        return f"{head}\nno changes to what the consumer expects"
    breaking = sum(c.breaking for c in changes)
    lines = [head, *(f"  {c}" for c in changes)]
    lines.append(f"{len(changes)} change(s), {breaking} breaking")
    return "\n".join(lines)


def _by_identity(pact: PactFile) -> dict[tuple[str, tuple[str, ...]], Any]:
    found: dict[tuple[str, tuple[str, ...]], Any] = {}
    for interaction in pact.http_interactions:
        key = (str(interaction.get("description")), tuple(state_names(interaction)))
        found.setdefault(key, interaction)
    return found


def _pair(before: list[Any], after: list[Any]) -> dict[int, Any]:
    """Old interaction (by ``id``) → its new version.

    Interactions are matched by description and provider states; those left
    over by their request and states (a renamed description), then by their
    request and description (renamed provider states) — only where exactly
    one old and one new interaction share the key.
    """
    pairs: dict[int, Any] = {}
    for key in (_identity, _request_and_states, _request_and_description):
        taken = {id(n) for n in pairs.values()}
        olds = _unique([o for o in before if id(o) not in pairs], key)
        news = _unique([n for n in after if id(n) not in taken], key)
        for k, interaction in olds.items():
            if k in news:
                pairs[id(interaction)] = news[k]
    return pairs


def _unique(interactions: list[Any], key: Any) -> dict[str, Any]:
    found: dict[str, list[Any]] = {}
    for interaction in interactions:
        found.setdefault(key(interaction), []).append(interaction)
    return {k: v[0] for k, v in found.items() if len(v) == 1}


def _identity(interaction: dict[str, Any]) -> str:
    return repr((interaction.get("description"), state_names(interaction)))


def _request_and_states(interaction: dict[str, Any]) -> str:
    return repr((_request_line(interaction), state_names(interaction)))


def _request_and_description(interaction: dict[str, Any]) -> str:
    return repr((_request_line(interaction), interaction.get("description")))


def _request_line(interaction: dict[str, Any]) -> str:
    request = interaction.get("request") or {}
    query = json.dumps(request.get("query"), sort_keys=True)
    return f"{str(request.get('method')).upper()} {request.get('path')} {query}"


def _renamed(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    label = describe(new)
    changes = []
    if old.get("description") != new.get("description"):
        changes.append(
            Change(
                label,
                f"interaction renamed from {old.get('description')!r}",
                False,
                why="same request and provider states",
            )
        )
    before, after = state_names(old), state_names(new)
    if before != after:
        shown = [
            ", ".join(repr(s) for s in names) or "none" for names in (before, after)
        ]
        changes.append(
            Change(
                label,
                f"provider state renamed from {shown[0]} to {shown[1]}",
                True,
                PROVIDER,
                "the provider needs a state handler for the new name",
            )
        )
    return changes


def _compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    label = describe(new)
    changes = []
    old_request, new_request = old.get("request", {}), new.get("request", {})
    for field in ("method", "path", "query"):
        before, after = old_request.get(field), new_request.get(field)
        if field == "method" and str(before).upper() == str(after).upper():
            continue
        if before != after:
            changes.append(
                Change(
                    label,
                    f"request {field} changed from {before!r} to {after!r}",
                    True,
                    PROVIDER,
                    "the provider must accept the new request",
                )
            )
    if bodies.body(old_request)[1] != bodies.body(new_request)[1]:
        changes.append(
            Change(
                label,
                "request body changed",
                True,
                PROVIDER,
                "the provider must accept the new body",
            )
        )

    old_response, new_response = old.get("response", {}), new.get("response", {})
    if old_response.get("status", 200) != new_response.get("status", 200):
        changes.append(
            Change(
                label,
                f"response status changed from {old_response.get('status', 200)} "
                f"to {new_response.get('status', 200)}",
                True,
                PROVIDER,
                "the provider must answer with the new status",
            )
        )
    changes.extend(_compare_fields(label, old_response, new_response))
    return changes


def _compare_fields(
    label: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    old_fields = dict(bodies.walk(bodies.body(old)[1]))
    new_fields = dict(bodies.walk(bodies.body(new)[1]))
    old_rules, new_rules = bodies.rules(old, "body"), bodies.rules(new, "body")
    both = bodies.body(old)[0] and bodies.body(new)[0]
    changes = []
    for path, value in new_fields.items():
        if path == "$" and not both:
            continue
        if path not in old_fields:
            changes.append(
                Change(
                    label,
                    f"response field {path} newly required",
                    True,
                    PROVIDER,
                    "the provider must return it",
                )
            )
            continue
        was = bodies.effective(old_rules, path)
        now = bodies.effective(new_rules, path)
        before, after = bodies.json_type(old_fields[path]), bodies.json_type(value)
        if _type_changed(before, after, now[1]):
            changes.append(
                Change(
                    label,
                    f"response field {path} type changed from {before} to {after}",
                    True,
                    PROVIDER,
                    f"the provider returns {before}",
                )
            )
            continue
        exact = not was[1] and not now[1]
        if exact and after not in ("object", "array") and old_fields[path] != value:
            changes.append(
                Change(
                    label,
                    f"response field {path} exact value changed from "
                    f"{old_fields[path]!r} to {value!r}",
                    True,
                    PROVIDER,
                    "no matcher, so the provider must return the new value",
                )
            )
            continue
        if after != "object":
            # An object's own matcher only reaches the verifier through its
            # fields, which are compared one by one.
            changes.extend(_compare_matchers(label, path, value, was, now))
    for path in old_fields:
        if path != "$" and path not in new_fields and _parent_kept(path, new_fields):
            changes.append(
                Change(
                    label,
                    f"removed response field {path}",
                    True,
                    DEPLOYED,
                    "the pact stops requiring it, so the provider may drop it "
                    "while deployed consumer versions still read it",
                )
            )
    return changes


def _type_changed(before: str, after: str, rule: list[Any] | None) -> bool:
    if before == after:
        return False
    numbers = {"integer", "decimal"}
    if before in numbers and after in numbers:
        # 40 → 40.5 under a number or type matcher is the same to the verifier.
        kinds = {m.get("match") for m in rule or []}
        return bool(kinds & {"integer", "decimal"})
    return True


Applied = tuple[str | None, list[Any]]


def _compare_matchers(
    label: str, path: str, example: Any, was: Applied, now: Applied
) -> list[Change]:
    before, after = _strictness(was[1]), _strictness(now[1])
    names = f"{_name(path, was)} → {_name(path, now)}"
    if before == after:
        kinds = {_kind(m) for m in was[1]}, {_kind(m) for m in now[1]}
        if kinds[0] == kinds[1] or not kinds[0] & {"integer", "decimal"}:
            return []
        return [
            Change(
                label,
                f"matcher on {path} changed ({names})",
                True,
                PROVIDER,
                "the provider's numbers must now be of the other kind",
            )
        ]

    if after < before:
        return [Change(label, f"matcher on {path} loosened ({names})", False)]
    if isinstance(example, list) and after == EXACT:
        why = f"the array must now have exactly {len(example)} item(s)"
    else:
        why = "values the provider returns today may no longer match"
    same = {_kind(m) for m in was[1] + now[1]} == {"type", "number"}
    if same and bodies.json_type(example) in ("integer", "decimal"):
        # A type matcher on a numeric example already accepts only numbers.
        return [
            Change(
                label,
                f"matcher on {path} tightened ({names})",
                False,
                why="a type match on a number already requires a number",
            )
        ]
    return [
        Change(label, f"matcher on {path} tightened ({names})", True, PROVIDER, why)
    ]


def _kind(matcher: dict[str, Any]) -> str:
    return str(matcher.get("match") or "type")


def _strictness(matchers: list[Any]) -> int:
    if not matchers:
        return EXACT
    return max(_STRICTNESS.get(_kind(m), _OTHER) for m in matchers)


def _name(path: str, applied: Applied) -> str:
    source, matchers = applied
    if not matchers:
        return "exact value"
    parts = []
    for matcher in matchers:
        bounds = [f"{b} {matcher[b]}" for b in ("min", "max") if b in matcher]
        parts.append(" ".join([_kind(matcher), *bounds]))
    name = "+".join(parts)
    return name if source == path else f"{name} from {source}"


def _parent_kept(path: str, fields: dict[str, Any]) -> bool:
    """Report only the top-most removed field, not each of its children."""
    parent = path.rsplit(".", 1)[0] if "." in path else "$"
    parent = parent.removesuffix("[*]")
    return parent in fields or parent == "$"
