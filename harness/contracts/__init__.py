"""Contracts: pact files, stub providers, consumer pacts, provider verification.

- :mod:`harness.contracts.pactfile` reads and checks pact files;
- :mod:`harness.contracts.stub` serves a provider's pacts on 127.0.0.1;
- :mod:`harness.contracts.consumer` publishes consumer pacts atomically;
- :mod:`harness.contracts.provider` verifies a provider against its pacts;
- :mod:`harness.contracts.serving` runs a provider app in-process on loopback;
- :mod:`harness.contracts.fixtures` is the pytest plugin tying them together;
- :mod:`harness.contracts.store` (with :mod:`~harness.contracts.local` and
  :mod:`~harness.contracts.broker`) keeps published pacts, verification
  results and deployments; :mod:`harness.contracts.pending` verifies through
  a store with pending pacts; :mod:`harness.contracts.matrix` answers
  can-i-deploy; :mod:`harness.contracts.gate` gates the deploy stage;
- :mod:`harness.contracts.diff`, :mod:`harness.contracts.lint` and
  :mod:`harness.contracts.schedule` back ``cdh contracts diff|lint`` and
  ``cdh schedule export`` (:mod:`harness.contracts.cli`).
"""

from __future__ import annotations

import os

from harness.contracts.broker import BrokerContractStore
from harness.contracts.consumer import PactRecorder
from harness.contracts.local import LocalContractStore
from harness.contracts.matrix import Decision, MatrixRow
from harness.contracts.pactfile import PactFile
from harness.contracts.pending import verify_from_store
from harness.contracts.provider import (
    InteractionFailure,
    ProviderStates,
    ProviderVerificationError,
    VerificationResult,
    assert_verified,
    verify_provider,
)
from harness.contracts.serving import serve_wsgi
from harness.contracts.store import (
    ConsumerVersionSelector,
    ContractStore,
    PactForVerification,
    VerificationRecord,
    open_store,
)
from harness.contracts.stub import ContractStubs

# The Pact core reports usage to an outside host unless told not to, and the
# harness sends traffic to loopback only (in-process and in `pact` children).
os.environ["PACT_DO_NOT_TRACK"] = "true"

__all__ = [
    "BrokerContractStore",
    "ConsumerVersionSelector",
    "ContractStore",
    "ContractStubs",
    "Decision",
    "InteractionFailure",
    "LocalContractStore",
    "MatrixRow",
    "PactFile",
    "PactForVerification",
    "PactRecorder",
    "ProviderStates",
    "ProviderVerificationError",
    "VerificationRecord",
    "VerificationResult",
    "assert_verified",
    "open_store",
    "serve_wsgi",
    "verify_from_store",
    "verify_provider",
]
