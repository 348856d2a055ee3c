"""The pytest plugin: layers as markers, guards, the environment fixtures.

Loaded in any repository where cd-harness is installed (``pytest11`` entry
point ``harness``). It

- registers one marker per layer of the pyramid;
- gives each test under the suites folder the layer its folder names, and
  refuses, with a list, tests that end up with no layer or with two;
- fails unit tests that open a socket connection;
- brings up the local environment for layers that need deployed services,
  unless ``--environment FILE`` names one that is already deployed;
- prints the pyramid (tests and seconds per layer) at the end.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.environments.base import Deployment, Environment
from harness.errors import HarnessError
from harness.layers import LAYER_NAMES, Layer, layer_from_path
from harness.pipeline.signals import raise_interrupt

log = logging.getLogger(__name__)


@dataclass
class _LayerTally:
    tests: int = 0
    failed: int = 0
    seconds: float = 0.0


@dataclass
class _State:
    suites: list[Path]
    environment_file: Path | None
    deployment: Deployment | None = None
    environment: Environment | None = None
    layers: dict[str, Layer] = field(default_factory=dict)
    pyramid: dict[Layer, _LayerTally] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cd-harness", "cd-harness: the test pyramid")
    group.addoption(
        "--environment",
        metavar="FILE",
        default=None,
        help="environment.json of an already deployed system; api, e2e and "
        "load tests run against it instead of starting the local environment",
    )
    parser.addini(
        "cdh_environment",
        "environment.json of an already deployed system (--environment's twin), "
        "relative to the rootdir",
        default="",
    )
    parser.addini(
        "cdh_system", "system file of the services under test", default="system.yaml"
    )
    parser.addini(
        "cdh_suites",
        "folders whose sub-folders name layers (suites/unit/...)",
        type="args",
        default=["suites"],
    )


def pytest_configure(config: pytest.Config) -> None:
    for layer in Layer:
        config.addinivalue_line(
            "markers",
            f"{layer.value}: {layer.description} "
            f"(default for tests under suites/{layer.value}/)",
        )
    root = config.rootpath
    given, configured = (
        config.getoption("environment"),
        config.getini("cdh_environment"),
    )
    environment_file = None
    if given:
        environment_file = Path(given).resolve()
    elif configured:
        environment_file = (root / configured).resolve()
    state = _State(
        suites=[root / folder for folder in config.getini("cdh_suites")],
        environment_file=environment_file,
    )
    config.stash[_STATE] = state
    # A wrong --environment file is one usage error, not an error per test.
    if state.environment_file is not None:
        try:
            state.deployment = Deployment.read(state.environment_file)
        except HarnessError as error:
            raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(
        _PyramidReporter(config.stash[_STATE]), "harness-pyramid"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    _SOCKETS.uninstall()
    state = config.stash.get(_STATE, None)
    if state is not None and state.environment is not None:
        environment, state.environment = state.environment, None
        environment.__exit__(None, None, None)
        if state.deployment is not None:
            state.deployment.forget(config.rootpath / ".cdh" / "environment.json")


# Before the mark plugin deselects by -m, so that folder layers count.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[_STATE]
    problems: list[str] = []
    folder_layers: dict[Path, Layer | None] = {}

    for item in items:
        marked = {m.name for m in item.iter_markers() if m.name in LAYER_NAMES}
        if item.path not in folder_layers:
            folder_layers[item.path] = layer_from_path(item.path, state.suites)
        in_suites = folder_layers[item.path]
        if not marked and in_suites is not None:
            item.add_marker(in_suites.value)
            marked = {in_suites.value}
        if len(marked) == 1:
            state.layers[item.nodeid] = Layer(marked.pop())
        elif len(marked) > 1:
            problems.append(f"{item.nodeid}: two layers ({', '.join(sorted(marked))})")
        elif in_suites is None and _under(item.path, state.suites):
            problems.append(f"{item.nodeid}: no layer")

    if problems:
        listing = "\n  ".join(problems)
        raise pytest.UsageError(
            f"{len(problems)} test(s) have no layer or two:\n  {listing}\n"
            "Put each test under suites/<layer>/ or give it exactly one of the "
            f"markers {', '.join(LAYER_NAMES)}."
        )


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    state = item.config.stash[_STATE]
    if state.layers.get(item.nodeid) is not Layer.UNIT:
        return (yield)

    _SOCKETS.install()
    _SOCKETS.attempts = []
    try:
        result = yield
    finally:
        attempts, _SOCKETS.attempts = _SOCKETS.attempts, None
    if attempts:
        pytest.fail(
            f"unit test opened a socket connection to {attempts[0]}; unit tests "
            "touch nothing outside the process — move it to suites/integration/ "
            "or replace the call with an in-process fake",
            pytrace=False,
        )
    return result


class SocketBlockedError(HarnessError, OSError):
    """Raised inside a unit test that tries to connect a socket."""


class _SocketGuard:
    """Refuses and records socket connections while ``attempts`` is a list.

    Installed once, at the first unit test, and removed when pytest
    unconfigures: patching ``socket.socket`` around every test would cost
    each unit test more than the guard is worth.
    """

    def __init__(self) -> None:
        self.attempts: list[str] | None = None
        self.saved: dict[str, Callable[..., Any]] = {}

    def install(self) -> None:
        if self.saved:
            return
        for name in ("connect", "connect_ex"):
            original = getattr(socket.socket, name)
            self.saved[name] = original
            setattr(socket.socket, name, self._guarded(original))

    def uninstall(self) -> None:
        for name, original in self.saved.items():
            setattr(socket.socket, name, original)
        self.saved = {}

    def _guarded(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any, *args: Any) -> Any:
            if self.attempts is None:
                return original(sock, address, *args)
            self.attempts.append(_describe(address))
            raise SocketBlockedError(
                f"socket connection to {_describe(address)} refused in a unit test"
            )

        return connect


_SOCKETS = _SocketGuard()


def _describe(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


class _PyramidReporter:
    """Counts tests and seconds per layer and prints the pyramid."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        layer = self.state.layers.get(report.nodeid)
        if layer is None:
            if report.failed and report.nodeid not in self.state.failed:
                self.state.failed.append(report.nodeid)
            return
        tally = self.state.pyramid.setdefault(layer, _LayerTally())
        tally.seconds += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            tally.tests += 1
        if report.failed:
            tally.failed += 1
            if report.nodeid not in self.state.failed:
                self.state.failed.append(report.nodeid)

    def pytest_sessionfinish(self) -> None:
        # The runner reruns exactly these for a stage with gate: {reruns: N}.
        target = os.environ.get("CDH_FAILED_FILE")
        if target:
            Path(target).write_text(json.dumps(self.state.failed))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.state.pyramid:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", "test pyramid")
        write(f"{'layer':<12} {'tests':>6} {'failed':>7} {'seconds':>9}")
        for layer in reversed(list(Layer)):
            tally = self.state.pyramid.get(layer)
            if tally is not None:
                write(
                    f"{layer.value:<12} {tally.tests:>6} {tally.failed:>7} "
                    f"{tally.seconds:>9.2f}"
                )


def session_deployment(config: pytest.Config) -> Deployment:
    """The deployed system this session tests, started on first use.

    With ``--environment FILE`` the file is read; otherwise the local
    environment is started from the ``cdh_system`` file and torn down when
    the session ends.

    Raises:
        pytest.UsageError: the environment file or the system file is wrong.
    """
    state = config.stash[_STATE]
    if state.deployment is not None:
        return state.deployment

    try:
        if state.environment_file is not None:
            state.deployment = Deployment.read(state.environment_file)
        else:
            state.deployment = _start_local(config, state)
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None
    return state.deployment


def _start_local(config: pytest.Config, state: _State) -> Deployment:
    from harness.config import load_system
    from harness.environments.local import LocalEnvironment

    system = load_system(config.rootpath / config.getini("cdh_system"))
    run_dir = config.rootpath / ".cdh" / "pytest"
    environment = LocalEnvironment(run_dir, tenant=f"pytest-{os.getpid()}")
    state.environment = environment
    # pytest turns Ctrl-C into KeyboardInterrupt and unconfigures; SIGTERM
    # would end the process with the services still running.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_interrupt)
    deployment = environment.deploy(system)
    deployment.write(run_dir / "environment.json")
    deployment.write(config.rootpath / ".cdh" / "environment.json")
    return deployment


@pytest.fixture(scope="session")
def environment(request: pytest.FixtureRequest) -> Deployment:
    """The deployed system: service URLs, backend and tenant.

    Example::

        def test_catalog_lists_products(environment):
            requests.get(environment.url("catalog") + "/products")
    """
    return session_deployment(request.config)


@pytest.fixture(scope="session")
def service_url(environment: Deployment) -> Callable[[str], str]:
    """A function from service name to its base URL, e.g. ``service_url("orders")``."""
    return environment.url
