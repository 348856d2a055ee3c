"""Load shapes: parsing, bounding by the stage's duration, the injected shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.load.shape import Step, bounded, length, parse_shape, phases, write_shape
from harness.thresholds import ThresholdSyntaxError


def test_steps_parse_from_duration_and_users() -> None:
    assert parse_shape("10s:20, 1m:20,5s:0") == (
        Step(10.0, 20),
        Step(60.0, 20),
        Step(5.0, 0),
    )
    assert phases(20, 10, 30, 5) == "10s:20,30s:20,5s:0"


@pytest.mark.parametrize("text", ["10s", "10s:x", "fast:3", "5s:0"])
def test_malformed_shape_is_rejected(text: str) -> None:
    with pytest.raises(ThresholdSyntaxError, match="load shape|duration"):
        parse_shape(text)


def test_shape_is_cut_at_the_stage_duration() -> None:
    steps = bounded(parse_shape("10s:20,30s:20,10s:0"), 45.0)

    assert steps == (Step(10.0, 20), Step(30.0, 20), Step(5.0, 10))
    assert length(steps) == 45.0


def test_injected_shape_ramps_and_always_ends(tmp_path: Path) -> None:
    path, env = write_shape(tmp_path, parse_shape("10s:20,10s:20,10s:0"))
    probe = f"""
import json, os, sys
os.environ.update({json.dumps(env)})
sys.path.insert(0, {str(path.parent)!r})
from cdh_shape import HarnessShape
shape = HarnessShape()
ticks = []
for second in (0, 5, 15, 25, 30, 99):
    shape.get_run_time = lambda s=second: s
    ticks.append(shape.tick())
print(json.dumps(ticks))
"""
    # locust monkey-patches with gevent on import: probe in a process of its own.
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout

    assert json.loads(output.splitlines()[-1]) == [
        [0, 20.0],
        [10, 20.0],
        [20, 20.0],
        [10, 20.0],
        None,
        None,
    ]
