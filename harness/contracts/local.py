"""The contract store kept in the contracts folder: no server needed.

Beside the working pact files that consumer tests write (``*.json``), hidden
folders keep what a broker would::

    contracts/
      orders-catalog.json                  working copy (consumer tests)
      .pacts/<sha>.json                    published pact contents
      .published/<consumer>/<version>.json consumer version → branch, pacts
      .verifications/<provider>/<consumer>/<sha>/<provider-version>.json
      .deployments/<environment>.json      service → version running there

Every file is written whole and moved into place, so concurrent readers see
old or new, never half. Pending is judged per interaction: an interaction
that never passed does not gate; once it passed, it does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.contracts import pactfile
from harness.contracts.matrix import FAILED, MISSING, SUCCESS, Decision, MatrixRow
from harness.contracts.matrix import decide as decide_rows
from harness.contracts.pactfile import PactFile, content_sha, interaction_key
from harness.contracts.records import read as _read
from harness.contracts.records import safe as _safe
from harness.contracts.records import write as _write
from harness.contracts.store import (
    DEFAULT_SELECTORS,
    ConsumerVersionSelector,
    ContractStore,
    PactForVerification,
    PactSummary,
    VerificationRecord,
    now,
    single_consumer,
)
from harness.errors import ContractError

log = logging.getLogger(__name__)

WORKING_COPY = "working copy"


class LocalContractStore(ContractStore):
    """A contract store in a folder (by default the repository's contracts/).

    Args:
        root: the contracts folder.
        main_branch: the consumers' main branch, for ``main`` selectors.
        include_working_copies: also hand providers the pact files consumer
            tests wrote in ``root`` (the local flow verifies those).
    """

    def __init__(
        self,
        root: Path,
        *,
        main_branch: str = "main",
        include_working_copies: bool = True,
    ) -> None:
        self.root = root
        self.main_branch = main_branch
        self.include_working_copies = include_working_copies

    def publish(
        self,
        pacts: Sequence[PactFile],
        consumer_version: str,
        branch: str | None = None,
    ) -> list[str]:
        consumer = single_consumer(pacts)
        record_path = self._publication_path(consumer, consumer_version)
        record = _read(record_path) or {
            "consumer": consumer,
            "version": consumer_version,
            "branch": branch,
            "pacts": {},
        }
        lines = []
        for pact in pacts:
            sha = content_sha(pact.data)
            earlier = record["pacts"].get(pact.provider)
            if earlier is not None and earlier != sha:
                raise ContractError(
                    f"{pact.path}: {consumer}@{consumer_version} already published "
                    f"a different pact with {pact.provider} — publish changed "
                    "pacts under a new consumer version"
                )
            _write(self.root / ".pacts" / f"{sha}.json", pact.data)
            record["pacts"][pact.provider] = sha
            lines.append(
                f"published {consumer}@{consumer_version} → {pact.provider} "
                f"({sha[:12]}, branch {branch or '-'})"
            )
        record["published_at"] = now()
        _write(record_path, record)
        log.info(
            "published %d pact(s) of %s@%s", len(pacts), consumer, consumer_version
        )
        return lines

    def pacts_for_verification(
        self,
        provider: str,
        selectors: Sequence[ConsumerVersionSelector] = DEFAULT_SELECTORS,
        *,
        provider_branch: str | None = None,
        include_wip: bool = False,
    ) -> list[PactForVerification]:
        chosen: dict[str, tuple[PactFile, list[str], list[str]]] = {}

        def choose(pact: PactFile, version: str, why: str) -> None:
            entry = chosen.setdefault(content_sha(pact.data), (pact, [], []))
            if version not in entry[1]:
                entry[1].append(version)
            entry[2].append(why)

        if self.include_working_copies and self.root.is_dir():
            for pact in pactfile.discover(self.root):
                if pact.provider == provider:
                    choose(pact, WORKING_COPY, f"working copy {pact.path.name}")

        publications = self._publications(provider)
        for selector in selectors:
            for record, why in self._select(selector, publications, provider_branch):
                pact = self._stored_pact(record["pacts"][provider])
                choose(pact, record["version"], why)

        targets = [
            self._target(provider, pact, versions, notices, provider_branch)
            for pact, versions, notices in chosen.values()
        ]
        if include_wip:
            targets.extend(self._wip(provider, publications, targets, provider_branch))
        return targets

    def publish_verification(
        self, record: VerificationRecord, target: PactForVerification
    ) -> None:
        path = self._verification_path(
            record.provider, record.consumer, record.pact_sha, record.provider_version
        )
        _write(
            path,
            {
                "provider": record.provider,
                "provider_version": record.provider_version,
                "provider_branch": record.provider_branch,
                "consumer": record.consumer,
                "pact_sha": record.pact_sha,
                "success": record.success,
                "interactions": dict(record.interactions),
                "verified_at": record.verified_at,
            },
        )
        verdict = "verified" if record.success else "failed"
        log.info(
            "%s@%s %s the pact of %s (%s)",
            record.provider,
            record.provider_version,
            verdict,
            record.consumer,
            record.pact_sha[:12],
        )

    def record_deployment(self, service: str, version: str, environment: str) -> None:
        path = self.root / ".deployments" / f"{_safe(environment)}.json"
        deployed = _read(path) or {}
        deployed[service] = {"version": version, "deployed_at": now()}
        _write(path, deployed)
        log.info("recorded %s@%s deployed to %s", service, version, environment)

    def can_i_deploy(
        self,
        service: str,
        version: str,
        environment: str,
        *,
        together: Mapping[str, str] | None = None,
    ) -> Decision:
        """Whether ``service`` at ``version`` may go to ``environment``.

        As :meth:`ContractStore.can_i_deploy`; asked about one service alone,
        a version the store never saw is a "no".

        Raises:
            ContractError: asked about one service alone, the store has never
                seen ``service`` (a misspelt name, most likely).
        """
        if together is None:
            self._require_known(service)
        deployed = {**self._deployed(environment), **(together or {})}
        rows: list[MatrixRow] = []

        mine = _read(self._publication_path(service, version))
        for provider, sha in sorted((mine or {}).get("pacts", {}).items()):
            provider_version = deployed.get(provider)
            rows.append(self._row(service, version, provider, provider_version, sha))

        for consumer, consumer_version in sorted(deployed.items()):
            if consumer == service:
                continue
            theirs = _read(self._publication_path(consumer, consumer_version))
            sha = (theirs or {}).get("pacts", {}).get(service)
            if sha:
                rows.append(
                    self._row(consumer, consumer_version, service, version, sha)
                )
        if not rows and together is None and not self._knows(service, version):
            # Released alone, a version nobody published or verified is a typo
            # or a build the pipeline never checked, not a free pass.
            reason = (
                f"{service}@{version} is unknown to the contract store in "
                f"{self.root}: it never published a pact or a verification and "
                "was never recorded deployed — check the version"
            )
            return Decision(service, version, environment, False, [], [reason])
        return decide_rows(service, version, environment, rows)

    def summaries(self) -> list[PactSummary]:
        found: dict[tuple[str, str, str], PactSummary] = {}
        if self.root.is_dir():
            for pact in pactfile.discover(self.root):
                found[(pact.consumer, pact.provider, str(pact.path))] = self._summary(
                    pact, str(pact.path)
                )
        for record in self._publications(None):
            for provider, sha in record["pacts"].items():
                pact = self._stored_pact(sha)
                source = f"{record['consumer']}@{record['version']} ({sha[:12]})"
                found[(pact.consumer, provider, sha)] = self._summary(pact, source)
        return [found[key] for key in sorted(found)]

    def latest_published(self, consumer: str, provider: str) -> PactFile | None:
        """The last published pact of ``consumer`` with ``provider``, if any."""
        records = [r for r in self._publications(provider) if r["consumer"] == consumer]
        return self._stored_pact(records[-1]["pacts"][provider]) if records else None

    def deployed(self, environment: str) -> dict[str, str]:
        """Service → version recorded as running in ``environment``."""
        return self._deployed(environment)

    def _require_known(self, service: str) -> None:
        known = self._services()
        if service not in known:
            raise ContractError(
                f"{service}: the contract store in {self.root} has never seen "
                f"this service (known: {', '.join(sorted(known)) or 'none'}) — "
                "check the name, or publish its pacts first"
            )

    def _services(self) -> set[str]:
        """Every service the store has a publication, verification or deploy of."""
        found = {r["consumer"] for r in self._publications(None)}
        found |= {p for r in self._publications(None) for p in r.get("pacts", {})}
        for path in (self.root / ".deployments").glob("*.json"):
            found |= set(_read(path) or {})
        return found

    def _knows(self, service: str, version: str) -> bool:
        if self._publication_path(service, version).is_file():
            return True
        folder = self.root / ".verifications" / _safe(service)
        if any(folder.glob(f"*/*/{_safe(version)}.json")):
            return True
        return any(
            (_read(path) or {}).get(service, {}).get("version") == version
            for path in (self.root / ".deployments").glob("*.json")
        )

    def _row(
        self,
        consumer: str,
        consumer_version: str,
        provider: str,
        provider_version: str | None,
        sha: str,
    ) -> MatrixRow:
        verification, at = MISSING, ""
        if provider_version is not None:
            record = _read(
                self._verification_path(provider, consumer, sha, provider_version)
            )
            if record is not None:
                verification = SUCCESS if record["success"] else FAILED
                at = str(record.get("verified_at", ""))
        return MatrixRow(
            consumer,
            consumer_version,
            provider,
            provider_version,
            sha,
            verification,
            at,
        )

    def _target(
        self,
        provider: str,
        pact: PactFile,
        versions: list[str],
        notices: list[str],
        provider_branch: str | None,
    ) -> PactForVerification:
        sha = content_sha(pact.data)
        records = list(self._verifications(provider, pact.consumer, provider_branch))
        passed = {key for r in records for key, ok in r["interactions"].items() if ok}
        keys = {interaction_key(i) for i in pact.http_interactions}
        pending = not any(r["success"] and r["pact_sha"] == sha for r in records)
        return PactForVerification(
            pact=pact,
            consumer_versions=tuple(versions),
            pending=pending,
            pending_interactions=frozenset(keys - passed),
            notices=tuple(notices),
        )

    def _wip(
        self,
        provider: str,
        publications: list[dict[str, Any]],
        targets: list[PactForVerification],
        provider_branch: str | None,
    ) -> Iterator[PactForVerification]:
        selected = {t.sha for t in targets}
        latest: dict[tuple[str, str | None], dict[str, Any]] = {}
        for record in publications:
            latest[(record["consumer"], record.get("branch"))] = record
        for (consumer, branch), record in sorted(
            latest.items(), key=lambda item: (item[0][0], item[0][1] or "")
        ):
            sha = record["pacts"][provider]
            if sha in selected:
                continue
            target = self._target(
                provider,
                self._stored_pact(sha),
                [record["version"]],
                [f"work in progress: latest of {consumer} on branch {branch or '-'}"],
                provider_branch,
            )
            if target.pending:
                selected.add(sha)
                yield PactForVerification(
                    pact=target.pact,
                    consumer_versions=target.consumer_versions,
                    pending=True,
                    pending_interactions=target.pending_interactions,
                    wip=True,
                    notices=target.notices,
                )

    def _select(
        self,
        selector: ConsumerVersionSelector,
        publications: list[dict[str, Any]],
        provider_branch: str | None,
    ) -> Iterator[tuple[dict[str, Any], str]]:
        mine = [
            r
            for r in publications
            if selector.consumer is None or r["consumer"] == selector.consumer
        ]
        branches = []
        if selector.main_branch:
            branches.append(self.main_branch)
        if selector.branch:
            branches.append(selector.branch)
        if selector.matching_branch and provider_branch:
            branches.append(provider_branch)
        for branch in branches:
            latest: dict[str, dict[str, Any]] = {}
            for record in mine:
                if record.get("branch") == branch:
                    latest[record["consumer"]] = record
            for record in latest.values():
                yield record, f"latest from branch {branch}"

        if selector.deployed_or_released:
            environments = (
                [selector.environment]
                if selector.environment
                else sorted(p.stem for p in (self.root / ".deployments").glob("*.json"))
            )
            for environment in environments:
                deployed = self._deployed(environment)
                for record in mine:
                    if deployed.get(record["consumer"]) == record["version"]:
                        yield record, f"deployed in {environment}"

    def _publications(self, provider: str | None) -> list[dict[str, Any]]:
        """Every publication (with ``provider``), oldest first."""
        records = []
        for path in (self.root / ".published").glob("*/*.json"):
            record = _read(path)
            if record is None:
                continue
            if provider is None or provider in record.get("pacts", {}):
                records.append(record)
        return sorted(records, key=lambda r: (r.get("published_at", ""), r["version"]))

    def _verifications(
        self, provider: str, consumer: str, branch: str | None
    ) -> Iterator[dict[str, Any]]:
        folder = self.root / ".verifications" / _safe(provider) / _safe(consumer)
        for path in sorted(folder.glob("*/*.json")):
            record = _read(path)
            if record is None:
                continue
            if branch is None or record.get("provider_branch") == branch:
                yield record

    def _stored_pact(self, sha: str) -> PactFile:
        path = self.root / ".pacts" / f"{sha}.json"
        if not path.is_file():
            raise ContractError(
                f"{path}: a publication names this pact but the file is gone — "
                "publish the consumer's pacts again"
            )
        return pactfile.load(path)

    def _summary(self, pact: PactFile, source: str) -> PactSummary:
        sha = content_sha(pact.data)
        records = [
            r
            for r in self._verifications(pact.provider, pact.consumer, None)
            if r["pact_sha"] == sha
        ]
        last = "never"
        if records:
            newest = max(records, key=lambda r: str(r.get("verified_at", "")))
            verdict = "success" if newest["success"] else "failed"
            last = (
                f"{verdict} by {pact.provider}@{newest['provider_version']} "
                f"at {newest.get('verified_at', '?')}"
            )
        return PactSummary(
            consumer=pact.consumer,
            provider=pact.provider,
            interactions=len(pact.http_interactions),
            messages=len(pact.message_interactions),
            spec=pactfile.spec_label(pact),
            source=source,
            last_verification=last,
        )

    def _deployed(self, environment: str) -> dict[str, str]:
        path = self.root / ".deployments" / f"{_safe(environment)}.json"
        return {
            service: str(entry["version"])
            for service, entry in (_read(path) or {}).items()
        }

    def _publication_path(self, consumer: str, version: str) -> Path:
        return self.root / ".published" / _safe(consumer) / f"{_safe(version)}.json"

    def _verification_path(
        self, provider: str, consumer: str, sha: str, provider_version: str
    ) -> Path:
        return (
            self.root
            / ".verifications"
            / _safe(provider)
            / _safe(consumer)
            / sha
            / f"{_safe(provider_version)}.json"
        )
