"""Provider verification: replay consumers' pacts against a running provider.

:func:`verify_provider` runs pact-python's :class:`~pact.Verifier` once per
pact file for the provider (one result per consumer), with provider states
set up through a :class:`ProviderStates` registry of plain Python callables.
Each failed interaction is reported with its states, what the consumer
expected and what the provider answered.

Example::

    states = ProviderStates()

    @states.setup("product 1 exists")
    def _product_1(params: dict[str, Any]) -> None:
        store.reset([{"id": 1, "name": "Beans", "price": 12.5, "stock": 40}])

    results = verify_provider("catalog", "http://127.0.0.1:8081", states=states)
    assert_verified(results)
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pact import Verifier

from harness.contracts import pactfile
from harness.contracts.pactfile import PactFile
from harness.contracts.serving import LOOPBACK, POLL_SECONDS
from harness.errors import ContractError

log = logging.getLogger(__name__)

StateCallable = Callable[[dict[str, Any]], None]


class ProviderStates:
    """Provider state name → set-up callable (and optional tear-down).

    Each callable receives the state's parameters as a dict (empty when the
    pact gives none). A state the pacts name but the registry lacks fails
    its interactions with a message naming the state.
    """

    def __init__(self) -> None:
        self._setups: dict[str, StateCallable] = {}
        self._teardowns: dict[str, StateCallable] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(
        self, name: str, setup: StateCallable, teardown: StateCallable | None = None
    ) -> None:
        """Register ``setup`` (and ``teardown``) for the state ``name``."""
        self._setups[name] = setup
        if teardown is not None:
            self._teardowns[name] = teardown

    def setup(self, name: str) -> Callable[[StateCallable], StateCallable]:
        """Decorator form of :meth:`add` for a set-up callable."""

        def register(function: StateCallable) -> StateCallable:
            self._setups[name] = function
            return function

        return register

    def teardown(self, name: str) -> Callable[[StateCallable], StateCallable]:
        """Decorator registering the tear-down callable of ``name``."""

        def register(function: StateCallable) -> StateCallable:
            self._teardowns[name] = function
            return function

        return register

    @property
    def names(self) -> list[str]:
        """The registered state names."""
        return sorted(self._setups)

    def missing(self, pacts: Iterable[PactFile]) -> list[str]:
        """States the ``pacts`` name that have no set-up registered."""
        named = {state for pact in pacts for state in pact.states()}
        return sorted(named - set(self._setups))

    def errors(self) -> dict[str, str]:
        """State name → the last error its set-up or tear-down raised."""
        with self._lock:
            return dict(self._errors)

    def clear_errors(self) -> None:
        """Forget recorded errors (done before each pact is verified)."""
        with self._lock:
            self._errors.clear()

    def __call__(
        self, state: str, action: str, parameters: dict[str, Any] | None
    ) -> None:
        """The single handler the verifier calls for every state change.

        Never raises: the verifier retries failed state changes for minutes,
        so errors are recorded instead and turn the interactions given that
        state into failures once verification ends.
        """
        if not state:
            return  # the verifier's generic set-up/tear-down call
        params = dict(parameters or {})
        handler = (self._teardowns if action == "teardown" else self._setups).get(state)
        if handler is None:
            if action != "teardown":
                self._record(
                    state,
                    f"no set-up registered for provider state {state!r} "
                    f"(registered: {', '.join(self.names) or 'none'})",
                )
            return

        log.debug("provider state %r %s with %r", state, action, params)
        try:
            handler(params)
        except Exception as error:  # noqa: BLE001 - reported as a failure below
            log.warning("provider state %r %s failed: %s", state, action, error)
            self._record(state, f"{action} raised {type(error).__name__}: {error}")

    def _record(self, state: str, message: str) -> None:
        with self._lock:
            self._errors[state] = message


@dataclass(frozen=True)
class InteractionFailure:
    """One interaction the provider did not honour.

    Attributes:
        description: the interaction's description.
        states: the provider states it was replayed in.
        problems: one line per mismatch: what was expected, what came back.
    """

    description: str
    states: list[str]
    problems: list[str]

    def __str__(self) -> str:
        given = (
            f" given {', '.join(repr(s) for s in self.states)}" if self.states else ""
        )
        lines = [f"{self.description!r}{given}"]
        lines.extend(f"    {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass(frozen=True)
class VerificationResult:
    """The verdict on one consumer's pact.

    Attributes:
        consumer: the consumer whose pact was replayed.
        provider: the provider verified.
        pact_file: the pact file.
        interactions: how many HTTP interactions the pact holds.
        failures: the interactions that failed (empty when verified).
        pending: failed interactions that never passed before: reported,
            not gating (see :mod:`harness.contracts.pending`).
        output: the verifier's own text output, for the full story.
        raw: the verifier's JSON results, as pact-ffi gave them.
    """

    consumer: str
    provider: str
    pact_file: Path
    interactions: int
    failures: list[InteractionFailure] = field(default_factory=list)
    pending: list[InteractionFailure] = field(default_factory=list)
    output: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """True when every interaction was honoured."""
        return not self.failures

    def report(self) -> str:
        """A readable account: one header line, then each failure."""
        verdict = "verified" if self.verified else f"{len(self.failures)} failed"
        if self.pending:
            verdict += f", {len(self.pending)} pending failed (not gating)"
        head = (
            f"{self.consumer} → {self.provider} ({self.pact_file}): "
            f"{self.interactions} interaction(s), {verdict}"
        )
        lines = [head, *(f"  {failure}" for failure in self.failures)]
        lines.extend(f"  pending: {failure}" for failure in self.pending)
        return "\n".join(lines)


class ProviderVerificationError(AssertionError):
    """A provider does not honour one or more of its consumers' pacts.

    A failure of the system under test, not of the harness's input, so it
    is an :class:`AssertionError` (a failed test, a failed gate) rather
    than a :class:`~harness.errors.HarnessError`.
    """

    def __init__(self, results: list[VerificationResult]) -> None:
        self.results = results
        failed = [r for r in results if not r.verified]
        body = "\n".join(r.report() for r in failed)
        super().__init__(
            f"{len(failed)} of {len(results)} pact(s) not honoured:\n{body}"
        )


def verify_provider(
    provider: str,
    base_url: str,
    *,
    contracts_dir: Path,
    states: ProviderStates | None = None,
    consumers: Iterable[str] | None = None,
    teardown: bool = True,
    timeout_ms: int = 5000,
) -> list[VerificationResult]:
    """Verify ``provider`` at ``base_url`` against its pacts in ``contracts_dir``.

    Args:
        provider: the provider's name as the pacts spell it.
        base_url: where the provider answers, e.g. ``http://127.0.0.1:8081``.
        contracts_dir: the folder of pact files.
        states: set-up (and tear-down) of the provider states the pacts name.
        consumers: only these consumers' pacts; all when None.
        teardown: call tear-down callables after each interaction.
        timeout_ms: how long to wait for each provider answer.

    Returns:
        One result per pact file (consumer), in file-name order.

    Raises:
        ContractError: no pact for the provider (and consumers), a pact is
            malformed, or the verifier could not run at all.
    """
    wanted = set(consumers) if consumers is not None else None
    pacts = [
        p
        for p in pactfile.select(contracts_dir, provider)
        if wanted is None or p.consumer in wanted
    ]
    if not pacts:
        raise ContractError(
            f"{contracts_dir}: no pact for {', '.join(sorted(wanted or []))} → "
            f"{provider} — run those consumers' contract tests first"
        )
    return verify_pacts(
        pacts, base_url, states=states, teardown=teardown, timeout_ms=timeout_ms
    )


def verify_pacts(
    pacts: Iterable[PactFile],
    base_url: str,
    *,
    states: ProviderStates | None = None,
    teardown: bool = True,
    timeout_ms: int = 5000,
) -> list[VerificationResult]:
    """Verify the provider at ``base_url`` against ``pacts``, one result each.

    The form :func:`verify_provider` and the contract stores share: the
    pacts may come from a folder, a local store or a Pact Broker.
    """
    chosen = list(pacts)
    registry = states or ProviderStates()
    missing = registry.missing(chosen)
    if missing:
        log.warning("provider has no set-up for states %s", missing)

    return [
        _verify_one(pact, base_url, registry, teardown=teardown, timeout_ms=timeout_ms)
        for pact in chosen
    ]


def assert_verified(results: list[VerificationResult]) -> None:
    """Raise :class:`ProviderVerificationError` unless every pact was honoured."""
    if any(not r.verified for r in results):
        raise ProviderVerificationError(results)


def _verify_one(
    pact: PactFile,
    base_url: str,
    states: ProviderStates,
    *,
    teardown: bool,
    timeout_ms: int,
) -> VerificationResult:
    host = urlsplit(base_url).hostname or ""
    states.clear_errors()
    log.info("verifying %s against %s (%s)", pact.provider, pact.path, base_url)
    with _state_change_endpoint(states) as state_url, _http_only(pact) as source:
        verifier = (
            Verifier(pact.provider, host=host)
            .add_transport(url=base_url)
            .add_source(source)
            .set_request_timeout(timeout_ms)
            .set_coloured_output(enabled=False)
            .state_handler(state_url, teardown=teardown, body=True)
        )
        try:
            verifier.verify()
        except RuntimeError:
            # pact-ffi signals "some interaction failed" this way; the JSON
            # results below say which.
            log.debug("verifier reported failures for %s", pact.path)

    raw = verifier.results
    output = verifier.output(strip_ansi=True)
    failures = _failures(raw, states.errors())
    if not failures and raw.get("result") is False:
        failures = [InteractionFailure("(verification)", [], _lines(output))]
    return VerificationResult(
        consumer=pact.consumer,
        provider=pact.provider,
        pact_file=pact.path,
        interactions=len(pact.http_interactions),
        failures=failures,
        output=output,
        raw=raw,
    )


@contextmanager
def _http_only(pact: PactFile) -> Iterator[Path]:
    """The pact file to replay: a copy without messages when it has any."""
    skipped = pact.message_interactions
    if not skipped:
        yield pact.path
        return

    log.info(
        "skipping %d message interaction(s) in %s: verified over HTTP only",
        len(skipped),
        pact.path,
    )
    with tempfile.TemporaryDirectory(prefix="cdh-verify-") as folder:
        copy = Path(folder) / pact.path.name
        copy.write_text(
            json.dumps(pact.with_interactions(pact.http_interactions)),
            encoding="utf-8",
        )
        yield copy


class _StateChangeHandler(BaseHTTPRequestHandler):
    server: _StateChangeServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            change = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self.send_error(400, "state change body is not JSON")
            return
        self.server.states(
            str(change.get("state") or ""),
            str(change.get("action") or "setup"),
            change.get("params") if isinstance(change.get("params"), dict) else None,
        )
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("state change: " + format, *args)


class _StateChangeServer(HTTPServer):
    def __init__(self, states: ProviderStates) -> None:
        super().__init__((LOOPBACK, 0), _StateChangeHandler)
        self.states = states


@contextmanager
def _state_change_endpoint(states: ProviderStates) -> Iterator[str]:
    # pact-python's own callback server for function handlers never closes
    # its listening socket (a ResourceWarning per verification in 4.2), so
    # the verifier is given this endpoint through its URL form instead.
    server = _StateChangeServer(states)
    thread = threading.Thread(
        target=server.serve_forever,
        args=(POLL_SECONDS,),
        name="provider-states",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}/_cdh/provider-state"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _failures(
    raw: dict[str, Any], state_errors: dict[str, str]
) -> list[InteractionFailure]:
    failures = []
    for result in raw.get("interactionResults", []) or []:
        states = [str(s) for s in result.get("providerStates", []) or []]
        problems = [
            f"provider state {s!r}: {state_errors[s]}"
            for s in states
            if s in state_errors
        ]
        if result.get("result") != "OK":
            problems.extend(_problems(result.get("mismatch")))
        if problems:
            description = str(result.get("description", "?"))
            failures.append(InteractionFailure(description, states, problems))
    return failures


def _problems(mismatch: Any) -> list[str]:
    if not isinstance(mismatch, dict):
        return [str(mismatch)]
    if mismatch.get("type") == "error":
        return [f"error: {mismatch.get('message', '?')}"]
    lines = []
    for item in mismatch.get("mismatches", []) or []:
        lines.append(_mismatch_line(item))
    return lines or [json.dumps(mismatch)]


def _mismatch_line(item: dict[str, Any]) -> str:
    kind = item.get("type", "Mismatch")
    where = item.get("path") or item.get("key") or item.get("parameter") or ""
    expected = item.get("expected")
    actual = item.get("actual")
    text = item.get("mismatch", "")
    head = f"{kind} at {where}" if where else str(kind)
    if expected is not None or actual is not None:
        return f"{head}: expected {_short(expected)}, got {_short(actual)} — {text}"
    return f"{head}: {text}"


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()][-20:]
