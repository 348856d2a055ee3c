"""The load options a pipeline stage passes, and their usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.load.options import stage_arguments
from harness.thresholds import parse_threshold
from tests.load.test_load_plugin import environment_file, project, service  # noqa: F401


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--load-min-samples=0", "--load-min-samples: '0' is not a positive number"),
        ("--load-workers=1.5", "--load-workers: 1.5 is not a whole number"),
        ("--load-target-rps=fast", "--load-target-rps: 'fast' is not a positive"),
        ("--load-shape=10s", "--load-shape: load shape '10s': step '10s' is not"),
        (
            "--load-threshold=p95 < 1s abort",
            "--load-threshold: 'p95 < 1s abort': unknown or malformed option",
        ),
    ],
)
def test_malformed_load_option_is_a_usage_error_naming_it(
    project: pytest.Pytester,  # noqa: F811
    option: str,
    message: str,
) -> None:
    result = project.runpytest(option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_stage_arguments_carry_every_load_setting(tmp_path: Path) -> None:
    arguments = stage_arguments(
        [parse_threshold("p95 regresses < 10%")],
        tmp_path / "runs" / "run-1",
        pipeline="ci",
        min_samples=50,
        target_rps=80.0,
        workers=2,
        shape="5s:10,10s:10",
    )

    assert arguments == [
        "--load-min-samples=50",
        "--load-workers=2",
        f"--load-history={tmp_path / 'runs'}",
        "--load-pipeline=ci",
        "--load-target-rps=80",
        "--load-shape=5s:10,10s:10",
        "--load-threshold=p95 regresses < 10%",
    ]


def test_too_few_samples_fail_the_load_item_with_their_own_message(
    project: pytest.Pytester,  # noqa: F811
    environment_file: Path,  # noqa: F811
) -> None:
    results = project.path / "load.json"

    result = project.runpytest(
        f"--environment={environment_file}",
        "--load-target=web",
        "--load-users=1",
        "--load-duration=1s",
        "--load-min-samples=100000",
        "--load-threshold=p95 < 5s",
        f"--load-results={results}",
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*p95 < 5s: too few samples: * requests to Aggregated, need at least "
            "100000 (min_samples)*"
        ]  # fmt: skip
    )
    record = json.loads(results.read_text())
    assert record["verdicts"][0]["status"] == "too few samples"
    assert record["stats_source"] == "json"
