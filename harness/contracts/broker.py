"""The contract store behind a Pact Broker, over the broker's HTTP API.

The broker is navigated from its index by HAL link relations (``pb:...``),
falling back to the documented paths when an older broker lacks a relation.
Credentials come from the environment: ``PACT_BROKER_TOKEN`` (bearer) or
``PACT_BROKER_USERNAME``/``PACT_BROKER_PASSWORD`` (basic). They are sent in
headers only and never logged; ``repr`` masks them.

Example::

    store = BrokerContractStore.from_env("https://broker.example")
    store.publish(pacts, consumer_version="abc123", branch="main")
    targets = store.pacts_for_verification("catalog")
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from harness.contracts import pactfile
from harness.contracts.matrix import FAILED, MISSING, SUCCESS, Decision, MatrixRow
from harness.contracts.pactfile import PactFile
from harness.contracts.store import (
    DEFAULT_SELECTORS,
    ConsumerVersionSelector,
    ContractStore,
    PactForVerification,
    PactSummary,
    VerificationRecord,
    single_consumer,
)
from harness.errors import ContractError

log = logging.getLogger(__name__)

TOKEN_ENV = "PACT_BROKER_TOKEN"
USERNAME_ENV = "PACT_BROKER_USERNAME"
PASSWORD_ENV = "PACT_BROKER_PASSWORD"
# Selecting WIP pacts needs a start date; any date before the first
# publication selects them all.
WIP_SINCE = "2000-01-01"
_FALLBACK_PATHS = {
    "pb:publish-contracts": "/contracts/publish",
    "pb:provider-pacts-for-verification": "/pacts/provider/{provider}/for-verification",
    "pb:latest-pact-versions": "/pacts/latest",
}


class BrokerContractStore(ContractStore):
    """A Pact Broker as the contract store.

    Args:
        base_url: the broker's base URL.
        token: a bearer token, or None.
        username: basic-auth user, or None.
        password: basic-auth password, or None.
        session: the requests session to use (tests pass one that ignores
            proxy settings).
        timeout: seconds per HTTP request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.headers["Accept"] = "application/hal+json, application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif username:
            self._session.auth = (username, password or "")
        self._index: dict[str, Any] | None = None
        self._fetched: Path | None = None

    @classmethod
    def from_env(cls, base_url: str) -> BrokerContractStore:
        """A store for ``base_url`` with credentials from the environment."""
        return cls(
            base_url,
            token=os.environ.get(TOKEN_ENV) or None,
            username=os.environ.get(USERNAME_ENV) or None,
            password=os.environ.get(PASSWORD_ENV) or None,
        )

    def __repr__(self) -> str:
        auth = "token" if "Authorization" in self._session.headers else "none"
        if self._session.auth:
            auth = "basic"
        return f"BrokerContractStore({self.base_url!r}, auth={auth})"

    def close(self) -> None:
        """Delete the fetched pact copies."""
        if self._fetched is not None:
            shutil.rmtree(self._fetched, ignore_errors=True)
            self._fetched = None

    def publish(
        self,
        pacts: Sequence[PactFile],
        consumer_version: str,
        branch: str | None = None,
    ) -> list[str]:
        body: dict[str, Any] = {
            "pacticipantName": single_consumer(pacts),
            "pacticipantVersionNumber": consumer_version,
            "contracts": [
                {
                    "consumerName": pact.consumer,
                    "providerName": pact.provider,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(
                        json.dumps(pact.data).encode("utf-8")
                    ).decode("ascii"),
                }
                for pact in pacts
            ],
        }
        if branch:
            body["branch"] = branch
        answer = self._call("POST", self._link("pb:publish-contracts"), body=body)
        notices = [str(n.get("text", "")) for n in answer.get("notices", []) or []]
        return notices or [
            f"published {p.consumer}@{consumer_version} → {p.provider}" for p in pacts
        ]

    def pacts_for_verification(
        self,
        provider: str,
        selectors: Sequence[ConsumerVersionSelector] = DEFAULT_SELECTORS,
        *,
        provider_branch: str | None = None,
        include_wip: bool = False,
    ) -> list[PactForVerification]:
        body: dict[str, Any] = {
            "consumerVersionSelectors": [s.to_json() for s in selectors],
            "includePendingStatus": True,
        }
        if provider_branch:
            body["providerVersionBranch"] = provider_branch
        if include_wip:
            body["includeWipPactsSince"] = WIP_SINCE
        url = self._link("pb:provider-pacts-for-verification", provider=provider)
        answer = self._call("POST", url, body=body)

        targets: list[PactForVerification] = []
        for entry in (answer.get("_embedded") or {}).get("pacts", []) or []:
            properties = entry.get("verificationProperties") or {}
            href = _href(entry.get("_links", {}).get("self"))
            document = self._call("GET", href)
            results_url = _href(
                document.get("_links", {}).get("pb:publish-verification-results")
            )
            targets.append(
                PactForVerification(
                    pact=self._keep(document, href, len(targets)),
                    consumer_versions=(str(entry.get("shortDescription", "")),),
                    pending=bool(properties.get("pending")),
                    wip=bool(properties.get("wip")),
                    notices=tuple(
                        str(n.get("text", ""))
                        for n in properties.get("notices", []) or []
                    ),
                    results_url=results_url or None,
                )
            )
        return targets

    def publish_verification(
        self, record: VerificationRecord, target: PactForVerification
    ) -> None:
        if not target.results_url:
            raise ContractError(
                f"{target.pact.path}: the broker gave no link to publish this "
                "pact's verification result (pb:publish-verification-results)"
            )
        if record.provider_branch:
            self._call(
                "PUT",
                f"{self.base_url}/pacticipants/{_q(record.provider)}/branches/"
                f"{_q(record.provider_branch)}/versions/{_q(record.provider_version)}",
                body={},
            )
        self._call(
            "POST",
            target.results_url,
            body={
                "success": record.success,
                "providerApplicationVersion": record.provider_version,
                "testResults": [
                    {"interaction": key, "success": ok}
                    for key, ok in sorted(record.interactions.items())
                ],
            },
        )

    def record_deployment(self, service: str, version: str, environment: str) -> None:
        url = f"{self.base_url}/pacticipants/{_q(service)}/versions/{_q(version)}"
        links = self._call("GET", url).get("_links", {}).get("pb:record-deployment")
        for link in links if isinstance(links, list) else [links or {}]:
            if link.get("name") == environment and link.get("href"):
                self._call("POST", str(link["href"]), body={})
                return
        raise ContractError(
            f"the Pact Broker at {self.base_url} knows no environment "
            f"{environment!r} for {service}@{version} — create the environment "
            "in the broker, or check the spelling"
        )

    def can_i_deploy(
        self,
        service: str,
        version: str,
        environment: str,
        *,
        together: Mapping[str, str] | None = None,
    ) -> Decision:
        if together:
            # Several versions released at once: the matrix resource takes
            # one selector per pacticipant.
            versions = {**together, service: version}
            query: list[tuple[str, str]] = []
            for name, number in sorted(versions.items()):
                query += [("q[][pacticipant]", name), ("q[][version]", number)]
            query += [("latestby", "cvpv"), ("environment", environment)]
            answer = self._call("GET", f"{self.base_url}/matrix", params=query)
        else:
            answer = self._call(
                "GET",
                f"{self.base_url}/can-i-deploy",
                params=[
                    ("pacticipant", service),
                    ("version", version),
                    ("environment", environment),
                ],
            )
        rows = [_matrix_row(line) for line in answer.get("matrix", []) or []]
        summary = answer.get("summary") or {}
        reasons = [str(summary["reason"])] if summary.get("reason") else []
        reasons += [str(n.get("text", "")) for n in answer.get("notices", []) or []]
        return Decision(
            service,
            version,
            environment,
            summary.get("deployable") is True,
            rows,
            reasons,
        )

    def summaries(self) -> list[PactSummary]:
        answer = self._call("GET", self._link("pb:latest-pact-versions"))
        found: list[PactSummary] = []
        for entry in answer.get("pacts", []) or []:
            href = _href(entry.get("_links", {}).get("self"))
            document = self._call("GET", href)
            pact = self._keep(document, href, len(found))
            found.append(
                PactSummary(
                    consumer=pact.consumer,
                    provider=pact.provider,
                    interactions=len(pact.http_interactions),
                    messages=len(pact.message_interactions),
                    spec=pactfile.spec_label(pact),
                    source=href,
                    last_verification=self._last_verification(document),
                )
            )
        return found

    def _last_verification(self, document: dict[str, Any]) -> str:
        href = _href(document.get("_links", {}).get("pb:latest-verification-results"))
        if not href:
            return "never"
        answer = self._call("GET", href, missing_ok=True)
        if not answer:
            return "never"
        verdict = "success" if answer.get("success") else "failed"
        return (
            f"{verdict} by {answer.get('providerApplicationVersion', '?')} "
            f"at {answer.get('verificationDate', '?')}"
        )

    def _keep(self, document: dict[str, Any], href: str, index: int) -> PactFile:
        """Write a fetched pact to disk (the verifier reads files) and load it."""
        if self._fetched is None:
            self._fetched = Path(tempfile.mkdtemp(prefix="cdh-broker-pacts-"))
        name = quote(urlsplit(href).path.strip("/"), safe="")[-120:] or "pact"
        path = self._fetched / f"{index:03d}-{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return pactfile.from_document(path, document, source=href)

    def _link(self, relation: str, **params: str) -> str:
        if self._index is None:
            self._index = self._call("GET", self.base_url + "/")
        links = self._index.get("_links", {})
        href = _href(links.get(relation)) or self.base_url + _FALLBACK_PATHS[relation]
        for key, value in params.items():
            href = href.replace("{" + key + "}", _q(value))
        return href

    def _call(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        params: list[tuple[str, str]] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        where = f"{method} {urlsplit(url).path}"
        log.debug("pact broker: %s", where)
        try:
            response = self._session.request(
                method,
                url,
                json=body,
                params=params,
                timeout=self.timeout,
                headers={"Content-Type": "application/json"} if body else None,
            )
        except requests.RequestException as error:
            raise ContractError(
                f"cannot reach the Pact Broker at {self.base_url} ({where}: "
                f"{type(error).__name__}) — check PACT_BROKER_BASE_URL"
            ) from None
        if missing_ok and response.status_code == 404:
            return {}
        if response.status_code in (401, 403):
            raise ContractError(
                f"the Pact Broker at {self.base_url} refused {where} "
                f"(HTTP {response.status_code}) — check {TOKEN_ENV} or "
                f"{USERNAME_ENV}/{PASSWORD_ENV}"
            )
        if response.status_code >= 400:
            raise ContractError(
                f"the Pact Broker at {self.base_url} answered {where} with HTTP "
                f"{response.status_code}: {_error_text(response)}"
            )
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            raise ContractError(
                f"the Pact Broker at {self.base_url} answered {where} with a body "
                "that is not JSON — is the URL a Pact Broker?"
            ) from None
        return data if isinstance(data, dict) else {"items": data}


def _matrix_row(line: dict[str, Any]) -> MatrixRow:
    consumer = line.get("consumer") or {}
    provider = line.get("provider") or {}
    verification = line.get("verificationResult") or {}
    provider_version = (provider.get("version") or {}).get("number")
    status = MISSING
    if verification:
        status = SUCCESS if verification.get("success") else FAILED
    return MatrixRow(
        consumer=str(consumer.get("name", "?")),
        consumer_version=str((consumer.get("version") or {}).get("number", "?")),
        provider=str(provider.get("name", "?")),
        provider_version=str(provider_version) if provider_version else None,
        verification=status,
        verified_at=str(verification.get("verifiedAt", "")),
    )


def _href(link: Any) -> str:
    if isinstance(link, list):
        link = link[0] if link else {}
    return str(link.get("href", "")) if isinstance(link, dict) else ""


def _q(value: str) -> str:
    return quote(value, safe="")


def _error_text(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)
    return json.dumps(data)[:200]
