"""A finished run on disk: a failing API test, a failed load gate, logs."""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from harness.layers import Layer
from harness.load.gate import evaluate
from harness.load.stats import read_stats
from harness.model import Pipeline, Stage, System
from harness.report.junit import read_junit
from harness.run import FAILED, PASSED, Run, StageResult
from harness.thresholds import parse_threshold

LOAD_DATA = Path(__file__).parent.parent / "load" / "data"
STARTED = 1_800_000_000.0

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="api" errors="0" failures="1" skipped="0" tests="3"
 time="3.0" timestamp="{timestamp}">
<testcase classname="suites.api.test_catalog" name="test_lists" time="1.0"/>
<testcase classname="suites.api.test_catalog" name="test_adds" time="1.0">
<failure message="assert 500 == 201">E   assert 500 == 201</failure></testcase>
<testcase classname="suites.api.test_catalog" name="test_gets" time="1.0"/>
</testsuite></testsuites>
"""


def _werkzeug(moment: float, line: str) -> str:
    stamp = datetime.fromtimestamp(moment).strftime("%d/%b/%Y %H:%M:%S")
    return f'127.0.0.1 - - [{stamp}] "{line}'


@pytest.fixture
def failing_run(tmp_path: Path) -> Run:
    """A run whose api stage has a failing test and whose load gate failed."""
    run_dir = tmp_path / "runs" / "run-1"
    (run_dir / "junit").mkdir(parents=True)
    (run_dir / "logs").mkdir()
    (run_dir / "load").mkdir()
    timestamp = datetime.fromtimestamp(STARTED).isoformat()
    (run_dir / "junit" / "api.xml").write_text(JUNIT.format(timestamp=timestamp))
    (run_dir / "logs" / "catalog.log").write_text(
        "\n".join(
            [
                _werkzeug(STARTED - 60, 'GET /health HTTP/1.1" 200 -'),
                _werkzeug(STARTED + 1.5, 'POST /products HTTP/1.1" 500 -'),
                "Traceback (most recent call last): boom",
                _werkzeug(STARTED + 90, 'GET /products HTTP/1.1" 200 -'),
            ]
        )
        + "\n"
    )
    for name in ("shop_stats.csv", "shop_stats_history.csv"):
        shutil.copy(LOAD_DATA / name, run_dir / "load" / name)
    prefix = run_dir / "load" / "shop"
    stats = read_stats(prefix)
    verdicts = evaluate(
        [parse_threshold("error_rate < 1%"), parse_threshold("p95 < 300ms")], stats
    )
    figures = {
        "status": "failed",
        "valid": True,
        "invalid": [],
        "stats_history": f"{prefix}_stats_history.csv",
        "html": str(run_dir / "load" / "shop.html"),
        "stats": {key: entry.to_dict() for key, entry in stats.items()},
        "verdicts": [verdict.to_dict() for verdict in verdicts],
    }

    system = System(tmp_path / "system.yaml", {})
    stages = {
        "unit": Stage("unit", layer=Layer.UNIT),
        "api": Stage("api", needs=("unit",), layer=Layer.API),
        "load": Stage("load", needs=("unit",), layer=Layer.LOAD),
        "e2e": Stage("e2e", needs=("api",), layer=Layer.E2E),
    }
    pipeline = Pipeline(
        tmp_path / "pipelines" / "ci.yaml", "ci", system, "local", stages
    )
    run = Run(pipeline, "run-1", run_dir, started=STARTED - 5)
    api = read_junit(run_dir / "junit" / "api.xml")
    run.results = {
        "unit": StageResult("unit", PASSED, "3 passed", 4.0, STARTED - 5, "unit"),
        "api": StageResult(
            "api", FAILED, "1 of 3 tests failed", 3.2, STARTED, "api", api,
            junit="junit/api.xml",
        ),
        "load": StageResult(
            "load", FAILED, "error_rate < 1%", 5.0, STARTED, "load", figures=figures,
        ),
        "e2e": StageResult("e2e", "skipped", "because api did not pass", layer="e2e"),
    }  # fmt: skip
    run.finished = time.time()
    (run_dir / "results.json").write_text(json.dumps({}))
    return run
