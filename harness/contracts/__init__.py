"""Contracts: pact files, stub providers, consumer pacts, provider verification.

- :mod:`harness.contracts.pactfile` reads and checks pact files;
- :mod:`harness.contracts.stub` serves a provider's pacts on 127.0.0.1;
- :mod:`harness.contracts.consumer` publishes consumer pacts atomically;
- :mod:`harness.contracts.provider` verifies a provider against its pacts;
- :mod:`harness.contracts.serving` runs a provider app in-process on loopback;
- :mod:`harness.contracts.fixtures` is the pytest plugin tying them together.
"""

from __future__ import annotations

import os

from harness.contracts.consumer import PactRecorder
from harness.contracts.pactfile import PactFile
from harness.contracts.provider import (
    InteractionFailure,
    ProviderStates,
    ProviderVerificationError,
    VerificationResult,
    assert_verified,
    verify_provider,
)
from harness.contracts.serving import serve_wsgi
from harness.contracts.stub import ContractStubs

# The Pact core reports usage to an outside host unless told not to, and the
# harness sends traffic to loopback only (in-process and in `pact` children).
os.environ["PACT_DO_NOT_TRACK"] = "true"

__all__ = [
    "ContractStubs",
    "InteractionFailure",
    "PactFile",
    "PactRecorder",
    "ProviderStates",
    "ProviderVerificationError",
    "VerificationResult",
    "assert_verified",
    "serve_wsgi",
    "verify_provider",
]
