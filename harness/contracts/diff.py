"""What a consumer's pact change does to its provider: ``cdh contracts diff``.

Interactions are matched by description and provider states. For each pair
the request, the status, and every response body field are compared: its
presence in the example, its JSON type, and how strict its matcher is
(exact value > regex or format > type). A change is *breaking* when it can
fail the provider's verification (a new interaction or field, a changed
type or request, a tightened matcher) or when it lets the provider drop
something consumer versions already deployed still read (a removed
interaction or field). Loosened matchers are listed, not breaking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.contracts import bodies
from harness.contracts.pactfile import PactFile, describe, state_names

PROVIDER = "provider"
DEPLOYED = "deployed consumers"

# How much a matcher pins a value down; no matcher means the exact example.
_STRICTNESS = {
    "type": 1,
    "number": 1,
    "integer": 1,
    "decimal": 1,
    "boolean": 1,
    "null": 1,
    "regex": 2,
    "date": 2,
    "time": 2,
    "timestamp": 2,
    "datetime": 2,
    "include": 2,
    "contentType": 2,
    "equality": 3,
}
EXACT = 3


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
    before = _by_identity(old)
    after = _by_identity(new)
    changes = []
    for key, interaction in after.items():
        if key not in before:
            changes.append(
                Change(
                    describe(interaction),
                    "added interaction",
                    True,
                    PROVIDER,
                    "the provider must now honour it (pending until it passes once)",
                )
            )
    for key, interaction in before.items():
        if key not in after:
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
        else:
            changes.extend(_compare(interaction, after[key]))
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


def _compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    label = describe(new)
    changes = []
    old_request, new_request = old.get("request", {}), new.get("request", {})
    for field in ("method", "path", "query"):
        if old_request.get(field) != new_request.get(field):
            changes.append(
                Change(
                    label,
                    f"request {field} changed from {old_request.get(field)!r} "
                    f"to {new_request.get(field)!r}",
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
    changes = []
    for path, value in new_fields.items():
        if path == "$":
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
        before, after = bodies.json_type(old_fields[path]), bodies.json_type(value)
        if _type_changed(before, after, new_rules.get(path)):
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
        exact = not old_rules.get(path) and not new_rules.get(path)
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
        changes.extend(_compare_matchers(label, path, old_rules, new_rules))
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


def _compare_matchers(
    label: str,
    path: str,
    old_rules: dict[str, list[Any]],
    new_rules: dict[str, list[Any]],
) -> list[Change]:
    before = _strictness(old_rules.get(path))
    after = _strictness(new_rules.get(path))
    if before == after:
        return []
    names = (_name(old_rules.get(path)), _name(new_rules.get(path)))
    if after > before:
        return [
            Change(
                label,
                f"matcher on {path} tightened ({names[0]} → {names[1]})",
                True,
                PROVIDER,
                "values the provider returns today may no longer match",
            )
        ]
    return [
        Change(label, f"matcher on {path} loosened ({names[0]} → {names[1]})", False)
    ]


def _strictness(matchers: list[Any] | None) -> int:
    if not matchers:
        return EXACT
    return min(_STRICTNESS.get(str(m.get("match")), 2) for m in matchers)


def _name(matchers: list[Any] | None) -> str:
    if not matchers:
        return "exact value"
    return "+".join(str(m.get("match", "?")) for m in matchers)


def _parent_kept(path: str, fields: dict[str, Any]) -> bool:
    """Report only the top-most removed field, not each of its children."""
    parent = path.rsplit(".", 1)[0] if "." in path else "$"
    parent = parent.removesuffix("[*]")
    return parent in fields or parent == "$"
