"""The load layer as pytest items: one item per locustfile.

Loaded through the ``pytest11`` entry point ``harness-load``. A file named
like ``locustfile*.py`` (ini ``cdh_locustfiles``) under the suites' ``load``
folder becomes one test item, marked ``load``. Running it runs locust
headless against the target service of the deployed system in a process of
its own, reads the statistics locust wrote and judges them against the
thresholds; the item fails when any threshold fails, or when there is no
data to judge.

Example::

    pytest -m load --environment .cdh/environment.json \\
        --load-target storefront --load-users 20 --load-duration 30s \\
        --load-threshold "p95 < 300ms" --load-threshold "error_rate < 1%"

With ``--load-results FILE`` every run is also written as JSON: the
locustfile, target, host, users, duration, per-request ``stats``,
``verdicts``, ``csv_prefix`` and ``html``, plus ``passed`` and ``error``.
When several locustfiles run in one session the top-level fields describe
the last one and ``runs`` lists them all.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.layers import Layer, layer_from_path
from harness.load.options import LoadOptions, read_options
from harness.load.options import pytest_addoption as pytest_addoption

if TYPE_CHECKING:
    from harness.load.gate import Verdict

log = logging.getLogger(__name__)


@dataclass
class LoadSession:
    options: LoadOptions
    runs: list[dict[str, Any]] = field(default_factory=list)
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)


SESSION = pytest.StashKey[LoadSession]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # The main plugin registers the layer markers; without it, strict
    # markers would reject the one given to locustfile items.
    if not any(
        line.split(":")[0].strip() == "load" for line in config.getini("markers")
    ):
        config.addinivalue_line("markers", "load: load test run by locust")
    config.stash[SESSION] = LoadSession(read_options(config))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> Generator[None, list[pytest.Collector | None], list[pytest.Collector | None]]:
    collected = yield
    if not _is_locustfile(file_path, parent.config):
        return collected

    # pytest imports any .py file named on the command line as a test module;
    # importing a locustfile would monkey-patch this process with gevent.
    from harness.load.item import LocustFile  # locust's machinery, only when needed

    kept = [c for c in collected if not isinstance(c, pytest.Module)]
    return [*kept, LocustFile.from_parent(parent, path=file_path)]


def _is_locustfile(path: Path, config: pytest.Config) -> bool:
    state = config.stash.get(SESSION, None)
    if state is None or not any(fnmatch(path.name, p) for p in state.options.patterns):
        return False
    try:
        folders = config.getini("cdh_suites")
    except ValueError:
        folders = ["suites"]
    suites = [config.rootpath / folder for folder in folders]
    return layer_from_path(path, suites) is Layer.LOAD


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(SESSION, None)
    if state is None or not state.verdicts:
        return
    terminalreporter.write_sep("-", "load gates")
    for nodeid, verdicts in state.verdicts.items():
        terminalreporter.write_line(nodeid)
        for verdict in verdicts:
            terminalreporter.write_line(f"  {verdict}")
