"""The deploy stage's contract gate: can-i-deploy for every service, then record.

Before the pipeline deploys, :func:`deploy_gate` asks the contract store
whether each service of the system, at the repository's git version, may go
to the target environment; after a deploy, :func:`record_deployed` records
the versions there, so consumers' ``deployed`` selectors and later
can-i-deploy questions see them.

The gate is active when there is something to answer from: a Pact Broker
(``PACT_BROKER_BASE_URL``) or pacts published into the local store. A
repository that only keeps working pact files is not gated.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from harness.contracts.matrix import Decision
from harness.contracts.store import BROKER_URL_ENV, git_version, open_store
from harness.model import Pipeline

log = logging.getLogger(__name__)


def contracts_dir(pipeline: Pipeline) -> Path:
    """The local contract store of a pipeline's repository."""
    return pipeline.root / "contracts"


def gate_active(pipeline: Pipeline) -> bool:
    """True when a broker is configured or the local store has publications."""
    if os.environ.get(BROKER_URL_ENV):
        return True
    return (contracts_dir(pipeline) / ".published").is_dir()


def decisions(
    pipeline: Pipeline, environment: str, version: str | None = None
) -> list[Decision]:
    """can-i-deploy for every service of the system at ``version`` (git).

    The services are released together, so each is judged against the
    others at ``version`` rather than against what runs there now.
    """
    chosen = version or git_version(pipeline.root)
    together = {name: chosen for name in pipeline.system.services}
    store = open_store(contracts_dir(pipeline))
    try:
        return [
            store.can_i_deploy(name, chosen, environment, together=together)
            for name in pipeline.system.services
        ]
    finally:
        store.close()


def deploy_gate(pipeline: Pipeline, environment: str) -> str | None:
    """None when the deploy may go ahead, else the reason it may not.

    Raises:
        HarnessError: the store cannot answer (no git version, broker
            unreachable, a malformed record).
    """
    if not gate_active(pipeline):
        log.info("can-i-deploy: no broker and no published pacts; not gated")
        return None
    refused = [d for d in decisions(pipeline, environment) if not d.deployable]
    for decision in refused:
        log.warning("can-i-deploy refused:\n%s", decision.render())
    if not refused:
        return None
    first = refused[0]
    return (
        f"can-i-deploy: {', '.join(f'{d.service}@{d.version}' for d in refused)} "
        f"may not go to {environment} ({first.reasons[0]})"
    )


def record_deployed(pipeline: Pipeline, environment: str) -> None:
    """Record every service of the system, at the git version, as deployed."""
    if not gate_active(pipeline):
        return
    version = git_version(pipeline.root)
    store = open_store(contracts_dir(pipeline))
    try:
        for name in pipeline.system.services:
            store.record_deployment(name, version, environment)
    finally:
        store.close()
