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

import json
import logging
import re
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError, LoadError
from harness.layers import Layer, layer_from_path
from harness.load.gate import Verdict, evaluate
from harness.load.runner import LocustOutcome, LocustRun, run_locust
from harness.load.stats import RequestStats, read_stats
from harness.thresholds import (
    AGGREGATE,
    Threshold,
    ThresholdSyntaxError,
    parse_duration,
    parse_threshold,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadOptions:
    """The load layer's settings for one session, from options and ini."""

    patterns: tuple[str, ...]
    users: int
    spawn_rate: float
    duration: float
    target: str
    thresholds: tuple[Threshold, ...]
    results: Path | None
    directory: Path | None


@dataclass
class _State:
    options: LoadOptions
    runs: list[dict[str, Any]] = field(default_factory=list)
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cd-harness", "cd-harness: the test pyramid")
    group.addoption(
        "--load-users",
        metavar="N",
        default=None,
        help="peak concurrent locust users (ini cdh_load_users, default 10)",
    )
    group.addoption(
        "--load-spawn-rate",
        metavar="N",
        default=None,
        help="locust users started per second (ini cdh_load_spawn_rate, default 10)",
    )
    group.addoption(
        "--load-duration",
        metavar="DURATION",
        default=None,
        help="run time of each load run, e.g. 30s or 2m (ini cdh_load_duration, "
        "default 30s)",
    )
    group.addoption(
        "--load-target",
        metavar="SERVICE",
        default=None,
        help="service of the deployed system the load is aimed at "
        "(ini cdh_load_target)",
    )
    group.addoption(
        "--load-threshold",
        metavar="EXPR",
        action="append",
        default=None,
        help="SLO the load run is gated on, e.g. 'p95 < 300ms', 'error_rate "
        "< 1%%', 'rps > 50'; repeatable, replaces ini cdh_load_thresholds",
    )
    group.addoption(
        "--load-results",
        metavar="PATH",
        default=None,
        help="write each load run's figures and verdicts to this JSON file",
    )
    group.addoption(
        "--load-dir",
        metavar="DIR",
        default=None,
        help="folder for locust's CSV, HTML report and logs (default: a "
        "temporary folder)",
    )
    parser.addini(
        "cdh_locustfiles",
        "name patterns of locustfiles under the suites' load folder",
        type="args",
        default=["locustfile*.py"],
    )
    parser.addini("cdh_load_users", "peak concurrent locust users", default="10")
    parser.addini(
        "cdh_load_spawn_rate", "locust users started per second", default="10"
    )
    parser.addini("cdh_load_duration", "run time of each load run", default="30s")
    parser.addini("cdh_load_target", "service the load is aimed at", default="")
    parser.addini(
        "cdh_load_thresholds",
        "SLO thresholds of load runs, one per line",
        type="linelist",
        default=[],
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # The main plugin registers the layer markers; without it, strict
    # markers would reject the one given to locustfile items.
    if not any(
        line.split(":")[0].strip() == "load" for line in config.getini("markers")
    ):
        config.addinivalue_line("markers", "load: load test run by locust")
    config.stash[_STATE] = _State(_read_options(config))


def _read_options(config: pytest.Config) -> LoadOptions:
    def setting(option: str, ini: str) -> tuple[str, str]:
        """The value of an option or its ini twin, and where it came from."""
        value = config.getoption(option)
        if value is not None:
            return str(value).strip(), "--" + option.replace("_", "-")
        return str(config.getini(ini)).strip(), f"ini {ini}"

    users_text, source = setting("load_users", "cdh_load_users")
    users = _positive_number(users_text, source)
    if users != int(users):
        raise pytest.UsageError(f"{source}: {users:g} is not a whole number")
    spawn_rate = _positive_number(*setting("load_spawn_rate", "cdh_load_spawn_rate"))
    duration_text, source = setting("load_duration", "cdh_load_duration")
    try:
        duration = parse_duration(duration_text)
    except ThresholdSyntaxError as error:
        raise pytest.UsageError(f"{source}: {error}") from None

    source = "--load-threshold"
    expressions = config.getoption("load_threshold")
    if not expressions:
        source, expressions = (
            "ini cdh_load_thresholds",
            config.getini("cdh_load_thresholds"),
        )
    thresholds = []
    for expression in expressions:
        try:
            thresholds.append(parse_threshold(expression))
        except ThresholdSyntaxError as error:
            raise pytest.UsageError(f"{source}: {error}") from None

    results = config.getoption("load_results")
    directory = config.getoption("load_dir")
    return LoadOptions(
        patterns=tuple(config.getini("cdh_locustfiles")),
        users=int(users),
        spawn_rate=spawn_rate,
        duration=duration,
        target=setting("load_target", "cdh_load_target")[0],
        thresholds=tuple(thresholds),
        results=Path(results).resolve() if results else None,
        directory=Path(directory).resolve() if directory else None,
    )


def _positive_number(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise pytest.UsageError(f"{source}: {text!r} is not a positive number")
    return value


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> Generator[None, list[pytest.Collector | None], list[pytest.Collector | None]]:
    collected = yield
    if not _is_locustfile(file_path, parent.config):
        return collected

    # pytest imports any .py file named on the command line as a test module;
    # importing a locustfile would monkey-patch this process with gevent.
    kept = [c for c in collected if not isinstance(c, pytest.Module)]
    return [*kept, LocustFile.from_parent(parent, path=file_path)]


def _is_locustfile(path: Path, config: pytest.Config) -> bool:
    state = config.stash.get(_STATE, None)
    if state is None or not any(fnmatch(path.name, p) for p in state.options.patterns):
        return False
    try:
        folders = config.getini("cdh_suites")
    except ValueError:
        folders = ["suites"]
    suites = [config.rootpath / folder for folder in folders]
    return layer_from_path(path, suites) is Layer.LOAD


class LocustFile(pytest.File):
    """A locustfile: collects the one item that runs it."""

    def collect(self) -> Iterator[LocustItem]:
        item = LocustItem.from_parent(self, name="locust")
        item.add_marker(Layer.LOAD.value)
        yield item


class LocustItem(pytest.Item):
    """Runs one locustfile headless and gates on the session's thresholds."""

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        try:
            record, verdicts, failure = self._run(state.options)
        except (HarnessError, pytest.UsageError) as error:
            record, verdicts, failure = self._record(state.options), [], str(error)

        if verdicts:
            state.verdicts[self.nodeid] = verdicts
        state.runs.append(record)
        if state.options.results is not None:
            _write_results(state.options.results, state.runs)
        for verdict in verdicts:
            self.user_properties.append(("load_verdict", str(verdict)))
        if failure:
            pytest.fail(failure, pytrace=False)

    def _run(self, options: LoadOptions) -> tuple[dict[str, Any], list[Verdict], str]:
        if not options.target:
            raise LoadError(
                "no load target — name the service to load with --load-target "
                "SERVICE or the ini option cdh_load_target"
            )
        if not self.config.pluginmanager.has_plugin("harness"):
            raise LoadError(
                "the harness plugin is disabled (-p no:harness) — the load layer "
                "needs it to find the deployed system; drop -p no:harness"
            )
        from harness.plugin import session_deployment

        host = session_deployment(self.config).url(options.target)
        directory = options.directory or _temporary_folder(self.config)
        slug = _slug(_relative(self.path, self.config.rootpath).with_suffix(""))
        run = LocustRun(
            locustfile=self.path,
            host=host,
            users=options.users,
            spawn_rate=options.spawn_rate,
            duration=options.duration,
            csv_prefix=directory / slug,
            html=directory / f"{slug}.html",
            cwd=self.config.rootpath,
        )
        outcome = run_locust(run)
        self.add_report_section("call", "locust", _summary(outcome))

        stats: dict[str, RequestStats] = {}
        verdicts: list[Verdict] = []
        try:
            stats = read_stats(run.csv_prefix)
        except LoadError as error:
            failure = str(error)
        else:
            verdicts = evaluate(options.thresholds, stats)
            failure = self._judge(options, host, stats, verdicts)
        if outcome.returncode != 0:
            failure = (
                f"locust exited with code {outcome.returncode} running "
                f"{self.path.name}; its last output:\n{outcome.stderr_tail()}"
            )

        record = self._record(options, host, run, stats, verdicts, failure)
        return record, verdicts, failure

    def _record(
        self,
        options: LoadOptions,
        host: str = "",
        run: LocustRun | None = None,
        stats: dict[str, RequestStats] | None = None,
        verdicts: list[Verdict] | None = None,
        failure: str = "",
    ) -> dict[str, Any]:
        return {
            "locustfile": str(self.path),
            "target": options.target,
            "host": host,
            "users": options.users,
            "spawn_rate": options.spawn_rate,
            "duration": options.duration,
            "stats": {key: entry.to_dict() for key, entry in (stats or {}).items()},
            "verdicts": [verdict.to_dict() for verdict in verdicts or []],
            "csv_prefix": str(run.csv_prefix) if run else "",
            "html": str(run.html) if run else "",
            "passed": not failure,
            "error": failure or None,
        }

    def _judge(
        self,
        options: LoadOptions,
        host: str,
        stats: dict[str, RequestStats],
        verdicts: list[Verdict],
    ) -> str:
        made = stats[AGGREGATE].requests
        if made and all(verdict.passed for verdict in verdicts):
            return ""

        lines = [
            f"load gate failed: {self.path.name} against {options.target} ({host})"
        ]
        if not made:
            lines.append(
                "  locust made no requests — check that the locustfile's users "
                "have tasks and reach the host"
            )
        lines.extend(f"  {verdict}" for verdict in verdicts)
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"locust run of {self.path.name}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not state.verdicts:
        return
    terminalreporter.write_sep("-", "load gates")
    for nodeid, verdicts in state.verdicts.items():
        terminalreporter.write_line(nodeid)
        for verdict in verdicts:
            terminalreporter.write_line(f"  {verdict}")


def _write_results(path: Path, runs: list[dict[str, Any]]) -> None:
    document = dict(runs[-1])
    if len(runs) > 1:
        document["runs"] = runs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    log.info("load results written to %s", path)


def _temporary_folder(config: pytest.Config) -> Path:
    factory = getattr(config, "_tmp_path_factory", None)
    if isinstance(factory, pytest.TempPathFactory):
        return factory.mktemp("load", numbered=True)
    return Path(tempfile.mkdtemp(prefix="cdh-load-"))


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return Path(path.name)


def _slug(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "-", path.as_posix()).strip("-")


def _summary(outcome: LocustOutcome) -> str:
    # Locust logs and prints its summary tables on stderr.
    output = "\n".join(part.strip() for part in (outcome.stdout, outcome.stderr))
    return f"exit code {outcome.returncode} after {outcome.seconds:.1f}s\n{output}"
