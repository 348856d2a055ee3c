"""Contracts: pact files, stub providers, consumer pacts, provider verification.

- :mod:`harness.contracts.pactfile` reads and checks pact files;
- :mod:`harness.contracts.stub` serves a provider's pacts on 127.0.0.1;
- :mod:`harness.contracts.consumer` publishes consumer pacts atomically;
- :mod:`harness.contracts.provider` verifies a provider against its pacts;
- :mod:`harness.contracts.serving` runs a provider app in-process on loopback;
- :mod:`harness.contracts.fixtures` is the pytest plugin tying them together;
- :mod:`harness.contracts.store` (with :mod:`~harness.contracts.local` and
  :mod:`~harness.contracts.broker`, the former's files in
  :mod:`~harness.contracts.records`) keeps published pacts, verification
  results and deployments; :mod:`harness.contracts.pending` verifies through
  a store with pending pacts; :mod:`harness.contracts.matrix` answers
  can-i-deploy; :mod:`harness.contracts.gate` gates the deploy stage;
- :mod:`harness.contracts.diff`, :mod:`harness.contracts.lint` and
  :mod:`harness.contracts.schedule` back ``cdh contracts diff|lint`` and
  ``cdh schedule export`` (:mod:`harness.contracts.cli`).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# The Pact core reports usage to an outside host unless told not to, and the
# harness sends traffic to loopback only (in-process and in `pact` children).
os.environ["PACT_DO_NOT_TRACK"] = "true"

# Names resolve on first use: the pytest plugin imports this package in every
# session, and most sessions never touch pact or the broker client.
_HOMES = {
    "BrokerContractStore": "broker",
    "ConsumerVersionSelector": "store",
    "ContractStore": "store",
    "ContractStubs": "stub",
    "Decision": "matrix",
    "InteractionFailure": "provider",
    "LocalContractStore": "local",
    "MatrixRow": "matrix",
    "PactFile": "pactfile",
    "PactForVerification": "store",
    "PactRecorder": "consumer",
    "ProviderStates": "provider",
    "ProviderVerificationError": "provider",
    "VerificationRecord": "store",
    "VerificationResult": "provider",
    "assert_verified": "provider",
    "open_store": "store",
    "serve_wsgi": "serving",
    "verify_from_store": "pending",
    "verify_provider": "provider",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
