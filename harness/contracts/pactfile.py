"""Reading pact files: who they are between, which version, which interactions.

A pact file is JSON written by a consumer's tests. Versions 1 to 4 of the Pact
specification differ in where they keep the version, how they name provider
states and where message interactions live; :class:`PactFile` hides those
differences behind a few properties so that the stub server and the provider
verifier can treat every file alike.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ContractError

log = logging.getLogger(__name__)

SUPPORTED_MAJOR_VERSIONS = frozenset({1, 2, 3, 4})
HTTP_INTERACTION = "Synchronous/HTTP"
# What a pact that states no specification version is read as.
ASSUMED_SPEC = "2"


@dataclass(frozen=True)
class PactFile:
    """One parsed pact file.

    Attributes:
        path: where the file was read from.
        data: the file's JSON document, as read.
        consumer: the consumer's name.
        provider: the provider's name.
        spec_major: the major Pact specification version (1 to 4).
    """

    path: Path
    data: dict[str, Any]
    consumer: str
    provider: str
    spec_major: int

    @property
    def http_interactions(self) -> list[dict[str, Any]]:
        """The request/response interactions, in file order."""
        return [i for i in self._all_interactions() if _is_http(i)]

    @property
    def message_interactions(self) -> list[dict[str, Any]]:
        """The message interactions (v3 ``messages`` and v4 message types)."""
        messages = [i for i in self._all_interactions() if not _is_http(i)]
        legacy = self.data.get("messages", [])
        return messages + [m for m in legacy if isinstance(m, dict)]

    def _all_interactions(self) -> list[dict[str, Any]]:
        return list(self.data.get("interactions", []))

    def states(self) -> list[str]:
        """Every provider state named by an HTTP interaction, first use first."""
        seen: dict[str, None] = {}
        for interaction in self.http_interactions:
            for name in state_names(interaction):
                seen.setdefault(name, None)
        return list(seen)

    def with_interactions(
        self, interactions: Iterable[dict[str, Any]]
    ) -> dict[str, Any]:
        """A copy of the document holding only ``interactions``.

        Message interactions are dropped from the copy (the v3 ``messages``
        key included), so the result is a pure HTTP pact.
        """
        document = copy.deepcopy(self.data)
        document.pop("messages", None)
        document["interactions"] = copy.deepcopy(list(interactions))
        return document


def state_names(interaction: dict[str, Any]) -> list[str]:
    """The provider state names an interaction is given, in any spec version."""
    states = interaction.get("providerStates")
    if isinstance(states, list):
        return [s["name"] for s in states if isinstance(s, dict) and "name" in s]
    legacy = interaction.get("providerState") or interaction.get("provider_state")
    return [legacy] if isinstance(legacy, str) and legacy else []


def describe(interaction: dict[str, Any]) -> str:
    """A short human label: description, request line and states."""
    request = interaction.get("request") or {}
    label = (
        f"{interaction.get('description', '?')!r} "
        f"({request.get('method', '?')} {request.get('path', '?')})"
    )
    states = state_names(interaction)
    if states:
        label += " given " + ", ".join(repr(s) for s in states)
    return label


def load(path: Path) -> PactFile:
    """Read and check one pact file.

    Raises:
        ContractError: the file is not JSON, names no consumer or provider,
            has an unknown specification version, or an interaction without
            a request.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise ContractError(
            f"{path}: a folder, not a pact file — give the folder's pact files"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: cannot read the pact file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}) — "
            "re-run the consumer tests that write this pact"
        ) from None
    return from_document(path, data)


def from_document(path: Path, data: Any, source: str | None = None) -> PactFile:
    """Check a pact document already parsed from JSON (kept at ``path``).

    Args:
        path: where the document is kept on disk.
        data: the parsed document.
        source: where it came from, for error messages (e.g. a broker URL
            when ``path`` is only a fetched copy); defaults to ``path``.

    Raises:
        ContractError: as :func:`load`, naming ``source``.
    """
    where = source or str(path)
    if not isinstance(data, dict):
        raise ContractError(f"{where}: a pact file must hold a JSON object")

    consumer = _party(where, data, "consumer")
    provider = _party(where, data, "provider")
    spec_major = _spec_major(where, data)
    interactions = data.get("interactions", [])
    if not isinstance(interactions, list) or not all(
        isinstance(i, dict) for i in interactions
    ):
        raise ContractError(f"{where}: 'interactions' must be a list of objects")

    pact = PactFile(path, data, consumer, provider, spec_major)
    for interaction in pact.http_interactions:
        request = interaction.get("request")
        if not isinstance(request, dict) or "method" not in request:
            raise ContractError(
                f"{where}: interaction {interaction.get('description', '?')!r} "
                "has no request method — the file is damaged; re-run its "
                "consumer tests"
            )
    if declared_spec(data) is None:
        log.debug("%s: no pact specification version; read as %s", where, ASSUMED_SPEC)
    return pact


def discover(contracts_dir: Path) -> Iterator[PactFile]:
    """Every ``*.json`` pact file directly in ``contracts_dir``, sorted by name.

    Raises:
        ContractError: the folder is missing, or any file in it is malformed
            (a malformed file cannot tell which provider it was for, so it
            is reported whoever asks).
    """
    if not contracts_dir.is_dir():
        raise ContractError(
            f"{contracts_dir}: the contracts folder does not exist — run the "
            "consumer tests first, or set the `cdh_contracts` ini option"
        )
    for path in sorted(contracts_dir.glob("*.json")):
        if path.is_file():
            yield load(path)


def select(
    contracts_dir: Path, provider: str, consumer: str | None = None
) -> list[PactFile]:
    """The pacts in ``contracts_dir`` with ``provider`` (and ``consumer``).

    Raises:
        ContractError: no pact matches; the message lists the pairs found.
    """
    pacts = list(discover(contracts_dir))
    chosen = [
        p
        for p in pacts
        if p.provider == provider and (consumer is None or p.consumer == consumer)
    ]
    if chosen:
        return chosen

    pair = f"{consumer} → {provider}" if consumer else f"any consumer → {provider}"
    found = ", ".join(f"{p.consumer} → {p.provider}" for p in pacts) or "no pacts"
    raise ContractError(
        f"{contracts_dir}: no pact for {pair} (found: {found}) — check the "
        "names, or run the consumer tests that write it"
    )


def _party(where: str, data: dict[str, Any], role: str) -> str:
    party = data.get(role)
    name = party.get("name") if isinstance(party, dict) else None
    if not isinstance(name, str) or not name:
        raise ContractError(
            f"{where}: missing {role}.name — a pact must name its consumer and provider"
        )
    return name


def declared_spec(data: dict[str, Any]) -> str | None:
    """The specification version a pact document states, or None."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key in ("pactSpecification", "pact-specification"):
        block = metadata.get(key)
        if isinstance(block, dict) and block.get("version") is not None:
            return str(block["version"])
    version = metadata.get("pactSpecificationVersion")
    return None if version is None else str(version)


def spec_label(pact: PactFile) -> str:
    """The specification version for listings: as stated, or marked assumed."""
    declared = declared_spec(pact.data)
    return declared if declared is not None else f"{pact.spec_major} (assumed)"


def _spec_major(where: str, data: dict[str, Any]) -> int:
    version = declared_spec(data)
    if version is None:
        # Pact tools read a pact without a stated version as spec 2 (the
        # last one with no place to state it was 1.x, a subset of 2).
        return int(ASSUMED_SPEC)

    major = _major(version)
    if major not in SUPPORTED_MAJOR_VERSIONS:
        raise ContractError(
            f"{where}: unknown Pact specification version {version!r} in "
            "metadata.pactSpecification.version — expected 1.x to 4.x"
        )
    return major


def _major(version: object) -> int | None:
    if not isinstance(version, str) or not version:
        return None
    head = version.lstrip("vV").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _is_http(interaction: dict[str, Any]) -> bool:
    kind = interaction.get("type")
    if kind is None:
        return "request" in interaction or "response" in interaction
    return bool(kind == HTTP_INTERACTION)


def content_sha(document: dict[str, Any]) -> str:
    """A digest of what a pact promises: parties and interactions, not metadata.

    Two pact files with equal digests describe the same contract, whichever
    library version wrote them (the Pact Broker keys pact versions alike).
    """
    promised = {
        "consumer": (document.get("consumer") or {}).get("name"),
        "provider": (document.get("provider") or {}).get("name"),
        "interactions": document.get("interactions", []),
        "messages": document.get("messages", []),
    }
    return _digest(promised)


def interaction_key(interaction: dict[str, Any]) -> str:
    """A digest of one interaction's identity and promise.

    It changes when the description, the provider states (with params), the
    request or the expected response change, so a changed interaction counts
    as new for pending semantics.
    """
    states = interaction.get("providerStates")
    if not isinstance(states, list):
        states = [{"name": name} for name in state_names(interaction)]
    return _digest(
        {
            "description": interaction.get("description"),
            "states": states,
            "request": interaction.get("request"),
            "response": interaction.get("response"),
        }
    )[:16]


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
