"""The load layer's command-line options, their ini twins, and how a
pipeline's load stage turns into them (:func:`stage_arguments`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.load.gate import MIN_SAMPLES
from harness.load.shape import Step, parse_shape
from harness.thresholds import (
    Threshold,
    ThresholdSyntaxError,
    parse_duration,
    parse_threshold,
)


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
    min_samples: int = MIN_SAMPLES
    target_rps: float | None = None
    workers: int = 0
    shape: tuple[Step, ...] = ()
    history: Path | None = None
    pipeline: str = ""
    stage: str = ""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cd-harness", "cd-harness: the test pyramid")
    option = group.addoption
    option(
        "--load-users",
        metavar="N",
        default=None,
        help="peak concurrent locust users (ini cdh_load_users, default 10)",
    )
    option(
        "--load-spawn-rate",
        metavar="N",
        default=None,
        help="locust users started per second (ini cdh_load_spawn_rate, default 10)",
    )
    option(
        "--load-duration",
        metavar="DURATION",
        default=None,
        help="run time of each load run, e.g. 30s or 2m (ini "
        "cdh_load_duration, default 30s)",
    )
    option(
        "--load-target",
        metavar="SERVICE",
        default=None,
        help="service of the deployed system the load is aimed at "
        "(ini cdh_load_target)",
    )
    option(
        "--load-threshold",
        metavar="EXPR",
        action="append",
        default=None,
        help="SLO the load run is gated on, e.g. 'p95 < 300ms', 'error_rate "
        "< 1%%', 'rps > 50', 'p95 regresses < 10%%'; repeatable, replaces "
        "ini cdh_load_thresholds",
    )
    option(
        "--load-min-samples",
        metavar="N",
        default=None,
        help="requests a figure needs before it is judged (ini "
        f"cdh_load_min_samples, default {MIN_SAMPLES})",
    )
    option(
        "--load-target-rps",
        metavar="RPS",
        default=None,
        help="the rate the run means to reach; under 90%% of it the run is "
        "invalid (ini cdh_load_target_rps)",
    )
    option(
        "--load-workers",
        metavar="N",
        default=None,
        help="run a locust master and N local workers (ini cdh_load_workers, "
        "default 0: one process)",
    )
    option(
        "--load-shape",
        metavar="STEPS",
        default=None,
        help="ramp steps DURATION:USERS,..., e.g. 10s:20,30s:20,5s:0 (ini "
        "cdh_load_shape); replaces --load-users",
    )
    option(
        "--load-history",
        metavar="DIR",
        default=None,
        help="folder of earlier runs for 'regresses' thresholds (default: "
        "the parent of $CDH_RUN_DIR)",
    )
    option(
        "--load-pipeline",
        metavar="NAME",
        default=None,
        help="pipeline whose passing runs are the baseline",
    )
    option(
        "--load-results",
        metavar="PATH",
        default=None,
        help="write each load run's figures and verdicts to this JSON file",
    )
    option(
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
    parser.addini(
        "cdh_load_min_samples",
        "requests a figure needs to be judged",
        default=str(MIN_SAMPLES),
    )
    parser.addini("cdh_load_target_rps", "rate a valid run reaches", default="")
    parser.addini("cdh_load_workers", "local locust workers", default="0")
    parser.addini("cdh_load_shape", "ramp steps DURATION:USERS,...", default="")


def read_options(config: pytest.Config) -> LoadOptions:
    """The session's load settings.

    Raises:
        pytest.UsageError: a setting is malformed; the message names it.
    """

    def setting(option: str, ini: str) -> tuple[str, str]:
        """The value of an option or its ini twin, and where it came from."""
        value = config.getoption(option)
        if value is not None:
            return str(value).strip(), "--" + option.replace("_", "-")
        return str(config.getini(ini)).strip(), f"ini {ini}"

    users = _whole(*setting("load_users", "cdh_load_users"))
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

    rate_text, rate_source = setting("load_target_rps", "cdh_load_target_rps")
    workers_text, workers_source = setting("load_workers", "cdh_load_workers")
    shape_text, shape_source = setting("load_shape", "cdh_load_shape")
    try:
        shape = parse_shape(shape_text) if shape_text else ()
    except ThresholdSyntaxError as error:
        raise pytest.UsageError(f"{shape_source}: {error}") from None

    results = config.getoption("load_results")
    directory = config.getoption("load_dir")
    history = config.getoption("load_history") or _default_history()
    return LoadOptions(
        patterns=tuple(config.getini("cdh_locustfiles")),
        users=users,
        spawn_rate=spawn_rate,
        duration=duration,
        target=setting("load_target", "cdh_load_target")[0],
        thresholds=tuple(thresholds),
        results=Path(results).resolve() if results else None,
        directory=Path(directory).resolve() if directory else None,
        min_samples=_whole(*setting("load_min_samples", "cdh_load_min_samples")),
        target_rps=_positive_number(rate_text, rate_source) if rate_text else None,
        workers=0 if workers_text == "0" else _whole(workers_text, workers_source),
        shape=shape,
        history=Path(history).resolve() if history else None,
        pipeline=config.getoption("load_pipeline") or "",
        stage=os.environ.get("CDH_STAGE", ""),
    )


def stage_arguments(
    thresholds: Sequence[Threshold],
    run_dir: Path,
    *,
    pipeline: str,
    min_samples: int = MIN_SAMPLES,
    target_rps: float | None = None,
    workers: int = 0,
    shape: str = "",
) -> list[str]:
    """The pytest options a pipeline's load stage adds beyond users and duration.

    The pipeline runner calls this when it builds a load stage's pytest
    command; ``run_dir.parent`` is the run history baselines come from.
    """
    arguments = [
        f"--load-min-samples={min_samples}",
        f"--load-workers={workers}",
        f"--load-history={run_dir.parent}",
        f"--load-pipeline={pipeline}",
    ]
    if target_rps:
        arguments.append(f"--load-target-rps={target_rps:g}")
    if shape:
        arguments.append(f"--load-shape={shape}")
    return arguments + [f"--load-threshold={t.text}" for t in thresholds]


def _default_history() -> str:
    run_dir = os.environ.get("CDH_RUN_DIR")
    return str(Path(run_dir).parent) if run_dir else ""


def _whole(text: str, source: str) -> int:
    value = _positive_number(text, source)
    if value != int(value):
        raise pytest.UsageError(f"{source}: {value:g} is not a whole number")
    return int(value)


def _positive_number(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise pytest.UsageError(f"{source}: {text!r} is not a positive number")
    return value
