"""Provider verification through a contract store, with pending pacts.

A consumer can publish an expectation before the provider meets it. Until
the provider has verified an interaction (or, with a broker, a pact)
successfully once, its failure is *pending*: reported, but the provider's
contract gate still passes. Once it has passed, it gates like any other.

:func:`verify_from_store` fetches what the provider must verify (consumer
version selectors, optionally work-in-progress pacts), verifies each pact,
publishes each verdict back to the store, and returns results whose
``failures`` hold only the gating ones; :func:`~harness.contracts.provider.
assert_verified` then fails only on those.

Example::

    store = LocalContractStore(contracts_dir)
    results = verify_from_store(
        store, "catalog", url, provider_version=git_version(), states=states
    )
    assert_verified(results)  # pending failures are in r.pending, not fatal
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from harness.contracts.pactfile import PactFile, interaction_key, state_names
from harness.contracts.provider import (
    InteractionFailure,
    ProviderStates,
    VerificationResult,
    verify_pacts,
)
from harness.contracts.store import (
    DEFAULT_SELECTORS,
    ConsumerVersionSelector,
    ContractStore,
    PactForVerification,
    VerificationRecord,
)
from harness.errors import ContractError

log = logging.getLogger(__name__)


def verify_from_store(
    store: ContractStore,
    provider: str,
    base_url: str,
    *,
    provider_version: str,
    provider_branch: str | None = None,
    selectors: Sequence[ConsumerVersionSelector] = DEFAULT_SELECTORS,
    states: ProviderStates | None = None,
    include_wip: bool = False,
    publish: bool = True,
    timeout_ms: int = 5000,
) -> list[VerificationResult]:
    """Verify ``provider`` at ``base_url`` against the pacts the store selects.

    Args:
        store: where the pacts and verification results live.
        provider: the provider's name as the pacts spell it.
        base_url: where the provider answers.
        provider_version: the provider version the results are published as.
        provider_branch: its branch (for ``matching-branch`` selectors and
            per-branch pending).
        selectors: which consumer versions' pacts to verify.
        states: provider state set-ups.
        include_wip: also verify work-in-progress pacts (always pending).
        publish: publish each verdict to the store.
        timeout_ms: how long to wait for each provider answer.

    Returns:
        One result per pact; ``failures`` gate, ``pending`` do not.

    Raises:
        ContractError: the store has no pact for the provider.
    """
    targets = store.pacts_for_verification(
        provider, selectors, provider_branch=provider_branch, include_wip=include_wip
    )
    if not targets:
        raise ContractError(
            f"no pacts for provider {provider!r} match the selectors "
            f"{[s.to_json() for s in selectors]} — publish the consumers' pacts "
            "or widen the selectors"
        )

    results = verify_pacts(
        [t.pact for t in targets], base_url, states=states, timeout_ms=timeout_ms
    )
    judged = []
    for result, target in zip(results, targets, strict=True):
        if publish:
            record = record_of(result, target, provider_version, provider_branch)
            store.publish_verification(record, target)
        outcome = apply_pending(result, target)
        for failure in outcome.pending:
            log.warning(
                "pending (not gating): %s → %s %s",
                outcome.consumer,
                outcome.provider,
                failure,
            )
        judged.append(outcome)
    return judged


def apply_pending(
    result: VerificationResult, target: PactForVerification
) -> VerificationResult:
    """Move the failures that ``target`` lets through into ``result.pending``.

    With per-interaction knowledge (the local store) only failures of
    interactions that never passed are let through; otherwise (a broker's
    pending pact) all failures of a pending pact are.
    """
    failures = result.failures + result.pending
    if target.pending_interactions is None:
        if target.pending:
            return replace(result, failures=[], pending=failures)
        return replace(result, failures=failures, pending=[])

    gating, pending = [], []
    for failure in failures:
        keys = failed_keys(failure, target.pact)
        if keys and keys <= target.pending_interactions:
            pending.append(failure)
        else:
            gating.append(failure)
    return replace(result, failures=gating, pending=pending)


def record_of(
    result: VerificationResult,
    target: PactForVerification,
    provider_version: str,
    provider_branch: str | None = None,
) -> VerificationRecord:
    """The verdict to publish: per interaction, and for the pact as a whole.

    A failure that names no interaction of the pact (the verifier could not
    run) fails every interaction.
    """
    failures = result.failures + result.pending
    failed: set[str] = set()
    whole = False
    for failure in failures:
        keys = failed_keys(failure, target.pact)
        failed |= keys
        whole = whole or not keys
    every = [interaction_key(i) for i in target.pact.http_interactions]
    return VerificationRecord(
        provider=target.pact.provider,
        provider_version=provider_version,
        consumer=target.pact.consumer,
        pact_sha=target.sha,
        success=not failures,
        interactions={key: not whole and key not in failed for key in every},
        provider_branch=provider_branch,
    )


def failed_keys(failure: InteractionFailure, pact: PactFile) -> set[str]:
    """The keys of the interactions a failure can be about.

    The verifier reports description and state names; interactions sharing
    both (duplicate descriptions) are all taken.
    """
    return {
        interaction_key(interaction)
        for interaction in pact.http_interactions
        if interaction.get("description") == failure.description
        and state_names(interaction) == failure.states
    }
