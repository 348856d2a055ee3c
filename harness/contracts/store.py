"""Where contracts live between pipelines: one interface, two stores.

A :class:`ContractStore` keeps the pacts consumers publish (with a consumer
version and branch), hands a provider the pacts it must verify according to
consumer version selectors, keeps verification results, records which
version of a service runs in which environment, and answers can-i-deploy
from all of that.

- :class:`~harness.contracts.local.LocalContractStore` keeps everything in
  the contracts folder (the no-server default);
- :class:`~harness.contracts.broker.BrokerContractStore` talks to a Pact
  Broker over its HTTP API.

:func:`open_store` picks one: the broker when ``PACT_BROKER_BASE_URL`` is
set (or a URL is given), the folder otherwise.
"""

from __future__ import annotations

import os
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.contracts.matrix import Decision
from harness.contracts.pactfile import PactFile, content_sha
from harness.errors import ContractError

BROKER_URL_ENV = "PACT_BROKER_BASE_URL"


@dataclass(frozen=True)
class ConsumerVersionSelector:
    """Which consumer versions' pacts a provider should verify.

    Mirrors the Pact Broker's selectors; unset fields do not narrow.

    Attributes:
        main_branch: the latest version from each consumer's main branch.
        branch: the latest version from this branch.
        matching_branch: the latest version from the provider's own branch.
        deployed_or_released: versions currently deployed (or released).
        environment: narrow deployed versions to this environment.
        consumer: only this consumer.
    """

    main_branch: bool = False
    branch: str | None = None
    matching_branch: bool = False
    deployed_or_released: bool = False
    environment: str | None = None
    consumer: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The selector as the broker's JSON spells it."""
        body: dict[str, Any] = {}
        if self.main_branch:
            body["mainBranch"] = True
        if self.branch:
            body["branch"] = self.branch
        if self.matching_branch:
            body["matchingBranch"] = True
        if self.deployed_or_released:
            body["deployedOrReleased"] = True
        if self.environment:
            body["environment"] = self.environment
        if self.consumer:
            body["consumer"] = self.consumer
        return body

    @classmethod
    def parse(cls, text: str) -> ConsumerVersionSelector:
        """Read a selector from the command line's short form.

        ``main``, ``branch=NAME``, ``matching-branch``, ``deployed`` and
        ``deployed=ENV``, each optionally followed by ``,consumer=NAME``.

        Raises:
            ContractError: the text is none of those.
        """
        fields: dict[str, Any] = {}
        for part in text.split(","):
            key, _, value = part.strip().partition("=")
            if key == "main" and not value:
                fields["main_branch"] = True
            elif key == "branch" and value:
                fields["branch"] = value
            elif key == "matching-branch" and not value:
                fields["matching_branch"] = True
            elif key == "deployed":
                fields["deployed_or_released"] = True
                fields["environment"] = value or None
            elif key == "consumer" and value:
                fields["consumer"] = value
            else:
                raise ContractError(
                    f"consumer version selector {text!r}: unknown part {part!r} — "
                    "use main, branch=NAME, matching-branch, deployed[=ENV], "
                    "with optional ,consumer=NAME"
                )
        return cls(**fields)


DEFAULT_SELECTORS = (
    ConsumerVersionSelector(main_branch=True),
    ConsumerVersionSelector(deployed_or_released=True),
    ConsumerVersionSelector(matching_branch=True),
)


@dataclass(frozen=True)
class PactForVerification:
    """A pact a provider must verify, and how much its result counts.

    Attributes:
        pact: the pact, on disk (a fetched copy for the broker).
        consumer_versions: the consumer versions that published this content.
        pending: the whole pact was never verified successfully, so its
            failures are reported but do not fail the gate.
        pending_interactions: keys (:func:`~harness.contracts.pactfile.
            interaction_key`) of interactions never verified successfully;
            when known (the local store), they decide instead of ``pending``:
            only those interactions' failures are let through.
        wip: selected as work in progress rather than by a selector.
        notices: the store's explanation of why it was selected.
        results_url: where the broker takes this pact's verification result.
    """

    pact: PactFile
    consumer_versions: tuple[str, ...] = ()
    pending: bool = False
    pending_interactions: frozenset[str] | None = None
    wip: bool = False
    notices: tuple[str, ...] = ()
    results_url: str | None = None

    @property
    def sha(self) -> str:
        """The pact content's digest."""
        return content_sha(self.pact.data)


@dataclass(frozen=True)
class VerificationRecord:
    """One provider version's verdict on one pact.

    Attributes:
        provider: the provider verified.
        provider_version: its version (git sha by default).
        consumer: whose pact it was.
        pact_sha: the pact content's digest.
        success: every interaction passed (pending ones included).
        interactions: interaction key → passed.
        provider_branch: the provider's branch, when known.
        verified_at: ISO 8601 time of the verification.
    """

    provider: str
    provider_version: str
    consumer: str
    pact_sha: str
    success: bool
    interactions: Mapping[str, bool] = field(default_factory=dict)
    provider_branch: str | None = None
    verified_at: str = field(default_factory=lambda: now())


@dataclass(frozen=True)
class PactSummary:
    """One line of ``cdh contracts ls``.

    Attributes:
        consumer: the consumer.
        provider: the provider.
        interactions: HTTP interactions.
        messages: message interactions.
        spec: the Pact specification version.
        source: the file, or the broker URL, it came from.
        last_verification: e.g. ``success by catalog@abc123 at ...``, or
            ``never``.
    """

    consumer: str
    provider: str
    interactions: int
    messages: int
    spec: str
    source: str
    last_verification: str = "never"


def single_consumer(pacts: Sequence[PactFile]) -> str:
    """The one consumer whose pacts these are; publishing is per consumer.

    Raises:
        ContractError: the pacts name several consumers (or none).
    """
    consumers = {p.consumer for p in pacts}
    if len(consumers) != 1:
        raise ContractError(
            f"publish one consumer's pacts at a time (got {sorted(consumers)})"
        )
    return consumers.pop()


class ContractStore(ABC):
    """The operations the pipeline needs from wherever contracts are kept."""

    @abstractmethod
    def publish(
        self,
        pacts: Sequence[PactFile],
        consumer_version: str,
        branch: str | None = None,
    ) -> list[str]:
        """Publish one consumer's pacts as ``consumer_version`` on ``branch``.

        Returns:
            One line per pact published, for the console.

        Raises:
            ContractError: the pacts name different consumers, or the same
                consumer version already published different content.
        """

    @abstractmethod
    def pacts_for_verification(
        self,
        provider: str,
        selectors: Sequence[ConsumerVersionSelector] = DEFAULT_SELECTORS,
        *,
        provider_branch: str | None = None,
        include_wip: bool = False,
    ) -> list[PactForVerification]:
        """The pacts ``provider`` must verify, with their pending status."""

    @abstractmethod
    def publish_verification(
        self, record: VerificationRecord, target: PactForVerification
    ) -> None:
        """Keep a provider's verdict on ``target``."""

    @abstractmethod
    def record_deployment(self, service: str, version: str, environment: str) -> None:
        """Note that ``service`` at ``version`` now runs in ``environment``."""

    @abstractmethod
    def can_i_deploy(
        self,
        service: str,
        version: str,
        environment: str,
        *,
        together: Mapping[str, str] | None = None,
    ) -> Decision:
        """Whether ``service`` at ``version`` may go to ``environment``.

        Args:
            service: the service to deploy.
            version: its version.
            environment: where to.
            together: other services (name → version) deployed at the same
                time, which count as what runs there instead of the versions
                recorded (a whole system released in one deploy stage).
        """

    @abstractmethod
    def summaries(self) -> list[PactSummary]:
        """Every pact the store holds (latest per pair), for listing."""

    def close(self) -> None:  # noqa: B027 - a no-op unless the store holds files
        """Release what the store holds (temporary copies of fetched pacts)."""


def now() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_version(cwd: Path | None = None) -> str:
    """The git commit of ``cwd`` (short sha), the default version of anything.

    Raises:
        ContractError: not in a git work tree; pass a version explicitly.
    """
    done = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise ContractError(
            "cannot tell the version from git (not a git work tree?) — pass "
            "--version explicitly"
        )
    return done.stdout.strip()


def git_branch(cwd: Path | None = None) -> str | None:
    """The current git branch of ``cwd``, or None (detached, or no git)."""
    done = subprocess.run(
        ["git", "rev-parse", "--abbrev-ref", "HEAD"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    branch = done.stdout.strip()
    return branch if done.returncode == 0 and branch not in ("", "HEAD") else None


def open_store(
    contracts_dir: Path, broker_url: str | None = None, *, use_broker: bool = False
) -> ContractStore:
    """The broker when asked for (or configured in the env), else the folder.

    Args:
        contracts_dir: the local store's folder.
        broker_url: the broker's base URL; defaults to ``PACT_BROKER_BASE_URL``.
        use_broker: require a broker (an error when none is configured).

    Raises:
        ContractError: a broker is required but none is configured.
    """
    from harness.contracts.broker import BrokerContractStore
    from harness.contracts.local import LocalContractStore

    url = broker_url or os.environ.get(BROKER_URL_ENV)
    if url:
        return BrokerContractStore.from_env(url)
    if use_broker:
        raise ContractError(
            f"no Pact Broker configured — set {BROKER_URL_ENV} (and "
            "PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD)"
        )
    return LocalContractStore(contracts_dir)
