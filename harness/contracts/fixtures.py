"""pytest plugin of the contract helpers (entry point ``harness-contracts``).

Options (group ``cd-harness``):

- ``--contracts DIR`` / ini ``cdh_contracts``: the folder of pact files,
  relative to the rootdir (default ``contracts``).

Fixtures:

- ``contracts_dir``: that folder, as an absolute path.
- ``contract_stub``: ``contract_stub("catalog", consumer="orders",
  state="product 1 exists")`` → base URL of a stub catalog on 127.0.0.1
  answering as the pact says. Session-scoped; every stub is stopped at the
  end of the session.
- ``contract_stubs``: the :class:`~harness.contracts.stub.ContractStubs`
  behind ``contract_stub``.
- ``consumer_pact``: ``consumer_pact("orders", "catalog")`` → a fresh
  :class:`pact.Pact` for one consumer test. If the test passes its
  interactions are kept; at the end of each test module the session's pacts
  are published into ``contracts_dir`` atomically (see
  :mod:`harness.contracts.consumer`), so provider tests later in the same
  session verify the fresh pacts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pact import Pact

    from harness.contracts.consumer import PactRecorder
    from harness.contracts.stub import ContractStubs

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_EXCHANGE = pytest.StashKey[Path]()
# The key under which the xdist controller tells workers where to publish.
EXCHANGE_KEY = "cdh_pact_exchange"

StubFactory = Callable[..., str]
PactFactory = Callable[[str, str], "Pact"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cd-harness", "cd-harness: the test pyramid")
    group.addoption(
        "--contracts",
        metavar="DIR",
        default=None,
        help="folder of pact files that consumer tests write and stubs and "
        "provider verification read (default: the cdh_contracts ini value)",
    )
    parser.addini(
        "cdh_contracts",
        "folder of pact files, relative to the rootdir",
        default="contracts",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if "consumer_pact" in getattr(item, "fixturenames", ()):
        item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def resolve_contracts_dir(config: pytest.Config) -> Path:
    """The contracts folder: ``--contracts``, else ``cdh_contracts``."""
    chosen = config.getoption("contracts") or config.getini("cdh_contracts")
    path = Path(str(chosen))
    return path if path.is_absolute() else config.rootpath / path


@pytest.fixture(scope="session")
def contracts_dir(pytestconfig: pytest.Config) -> Path:
    """The folder of pact files (absolute)."""
    return resolve_contracts_dir(pytestconfig)


@pytest.fixture(scope="session")
def contract_stubs(contracts_dir: Path) -> Iterator[ContractStubs]:
    """The session's stub providers; all stopped when the session ends."""
    from harness.contracts.stub import ContractStubs

    with ContractStubs(contracts_dir) as stubs:
        yield stubs


@pytest.fixture(scope="session")
def contract_stub(contract_stubs: ContractStubs) -> StubFactory:
    """Factory: ``contract_stub(provider, *, consumer=None, state=None) -> URL``.

    The URL serves ``provider``'s pacts (one consumer's, or all) on
    127.0.0.1; with ``state``, only interactions given that state or none.

    Example::

        def test_order(contract_stub, tmp_path):
            catalog = contract_stub("catalog", consumer="orders",
                                    state="product 1 exists")
            app = create_app(catalog, f"sqlite:///{tmp_path}/o.sqlite")
    """

    def stub(
        provider: str, *, consumer: str | None = None, state: str | None = None
    ) -> str:
        return contract_stubs.url(provider, consumer=consumer, state=state)

    return stub


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: give each worker a folder of its own to publish into."""
    config: pytest.Config = node.config
    if _EXCHANGE not in config.stash:
        config.stash[_EXCHANGE] = Path(tempfile.mkdtemp(prefix="cdh-pact-xdist-"))
    node.workerinput[EXCHANGE_KEY] = str(config.stash[_EXCHANGE])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """xdist controller: merge what the workers published (they are done)."""
    exchange = session.config.stash.get(_EXCHANGE, None)
    if exchange is None:
        return
    from harness.contracts.consumer import merge_workers

    try:
        merge_workers(exchange, resolve_contracts_dir(session.config))
    finally:
        shutil.rmtree(exchange, ignore_errors=True)


@pytest.fixture(scope="session")
def pact_recorder(
    contracts_dir: Path, pytestconfig: pytest.Config
) -> Iterator[PactRecorder]:
    """Collects this session's consumer pacts; publishes at the very end too."""
    from harness.contracts.consumer import PactRecorder, write_failed_pairs

    workerinput: dict[str, Any] = getattr(pytestconfig, "workerinput", {})
    worker_dir = None
    if EXCHANGE_KEY in workerinput:
        worker_dir = Path(workerinput[EXCHANGE_KEY]) / str(workerinput["workerid"])
    recorder = PactRecorder(worker_dir or contracts_dir)
    try:
        yield recorder
        recorder.publish()
        if worker_dir is not None:
            write_failed_pairs(recorder, worker_dir)
    finally:
        recorder.close()


@pytest.fixture(scope="module")
def _publish_pacts_after_module(
    pact_recorder: PactRecorder,
) -> Iterator[PactRecorder]:
    yield pact_recorder
    pact_recorder.publish()


@pytest.fixture
def consumer_pact(
    request: pytest.FixtureRequest, _publish_pacts_after_module: PactRecorder
) -> Iterator[PactFactory]:
    """Factory: ``consumer_pact(consumer, provider) -> pact.Pact`` for this test.

    Declare interactions on it and exercise the consumer's real client code
    under ``pact.serve()``; the interactions join the published pact only if
    the test passes.
    """
    recorder = _publish_pacts_after_module
    made: list[Pact] = []

    def factory(consumer: str, provider: str) -> Pact:
        pact = recorder.new_pact(consumer, provider)
        made.append(pact)
        return pact

    yield factory

    outcome = _outcome(request.node)
    if outcome is None:
        return
    for pact in made:
        recorder.record(pact, passed=outcome)


def _outcome(item: pytest.Item) -> bool | None:
    """True if the test passed, False if it failed, None if it was skipped."""
    reports = item.stash.get(_REPORTS, {})
    setup, call = reports.get("setup"), reports.get("call")
    if setup is not None and setup.failed:
        return False
    if call is None or call.skipped:
        return None
    return call.passed
