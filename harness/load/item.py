"""The load layer's pytest items: one locust run per locustfile.

Imported by :mod:`harness.load.plugin` only when a session collects a
locustfile, so that other sessions do not pay for locust's machinery.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError, LoadError
from harness.layers import Layer
from harness.load.abort import AbortWatch
from harness.load.distributed import in_cluster
from harness.load.gate import Verdict
from harness.load.options import LoadOptions
from harness.load.outcome import RunFigures, judge_run
from harness.load.plugin import SESSION
from harness.load.runner import LocustOutcome, LocustRun, run_locust
from harness.load.shape import bounded, length, peak, write_shape

log = logging.getLogger(__name__)


class LocustFile(pytest.File):
    """A locustfile: collects the one item that runs it."""

    def collect(self) -> Iterator[LocustItem]:
        item = LocustItem.from_parent(self, name="locust")
        item.add_marker(Layer.LOAD.value)
        yield item


class LocustItem(pytest.Item):
    """Runs one locustfile headless and gates on the session's thresholds."""

    def runtest(self) -> None:
        state = self.config.stash[SESSION]
        interrupted = False
        try:
            record, verdicts, failure, interrupted = self._run(state.options)
        except (HarnessError, pytest.UsageError) as error:
            record, verdicts, failure = self._record(state.options), [], str(error)

        if verdicts:
            state.verdicts[self.nodeid] = verdicts
        state.runs.append(record)
        if state.options.results is not None:
            _write_results(state.options.results, state.runs)
        if interrupted:
            raise KeyboardInterrupt
        for verdict in verdicts:
            self.user_properties.append(("load_verdict", str(verdict)))
        if failure:
            pytest.fail(failure, pytrace=False)

    def _run(
        self, options: LoadOptions
    ) -> tuple[dict[str, Any], list[Verdict], str, bool]:
        if not options.target:
            raise LoadError(
                "no load target — name the service to load with --load-target "
                "SERVICE or the ini option cdh_load_target"
            )
        if not options.thresholds:
            raise LoadError(
                "no load thresholds, so this run could not fail — give "
                "--load-threshold 'p95 < 300ms' or the ini option cdh_load_thresholds"
            )
        if not self.config.pluginmanager.has_plugin("harness"):
            raise LoadError(
                "the harness plugin is disabled (-p no:harness) — the load layer "
                "needs it to find the deployed system; drop -p no:harness"
            )
        from harness.plugin import session_deployment

        deployment = session_deployment(self.config)
        host = deployment.url(options.target)
        directory = options.directory or _temporary_folder(self.config)
        slug = _slug(_relative(self.path, self.config.rootpath).with_suffix(""))
        steps = bounded(options.shape, options.duration)
        shape_file, env = write_shape(directory, steps) if steps else (None, {})
        run = LocustRun(
            locustfile=self.path,
            host=host,
            users=peak(steps) or options.users,
            spawn_rate=options.spawn_rate,
            duration=length(steps) or options.duration,
            csv_prefix=directory / slug,
            html=directory / f"{slug}.html",
            cwd=self.config.rootpath,
            workers=options.workers,
            shape_file=shape_file,
            env=env,
            remote=in_cluster(deployment, options.target) if options.workers else None,
        )
        watch = AbortWatch(options.thresholds, run.csv_prefix, options.min_samples)
        outcome = run_locust(run, watch if watch else None)
        self.add_report_section("call", "locust", _summary(outcome))

        figures = judge_run(run, outcome, options)
        failure = figures.failure(self.path.name, options.target, host)
        record = self._record(options, host, run, figures, failure)
        return record, figures.verdicts, failure, outcome.interrupted

    def _record(
        self,
        options: LoadOptions,
        host: str = "",
        run: LocustRun | None = None,
        figures: RunFigures | None = None,
        failure: str = "",
    ) -> dict[str, Any]:
        record = {
            "locustfile": str(self.path),
            "target": options.target,
            "host": host,
            "users": run.users if run else options.users,
            "spawn_rate": options.spawn_rate,
            "duration": run.duration if run else options.duration,
            "workers": options.workers,
            "shape": [[s.seconds, s.users] for s in options.shape],
            "csv_prefix": str(run.csv_prefix) if run else "",
            "html": str(run.html) if run else "",
            "passed": not failure,
            "error": failure or None,
        }
        return {**record, **(figures or RunFigures()).to_dict()}

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"locust run of {self.path.name}"


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
