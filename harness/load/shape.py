"""Load shapes: ramp-up, steady state and ramp-down, from the pipeline file.

A shape is a list of steps, each ramping the user count linearly from
where the previous step ended to its own target over its duration, written
``DURATION:USERS`` and joined by commas (the way k6 writes ``stages``)::

    10s:20,30s:20,5s:0      ramp to 20 users in 10s, hold 30s, ramp down in 5s

The harness injects a locust ``LoadTestShape`` (a file of its own, loaded
beside the user's locustfile) that follows the steps read from the
``CDH_LOAD_SHAPE`` environment variable. The steps are cut at the stage's
duration, and the shape returns None once they are over, so a shaped run
always ends. A locustfile that defines a shape of its own cannot be
combined with one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.thresholds import ThresholdSyntaxError, parse_duration

ENV = "CDH_LOAD_SHAPE"

_SOURCE = '''"""The load shape cd-harness injects: steps from $CDH_LOAD_SHAPE."""

import json
import os

from locust import LoadTestShape


class HarnessShape(LoadTestShape):
    """Linear ramps between the steps' user counts; ends after the last."""

    def __init__(self) -> None:
        super().__init__()
        spec = json.loads(os.environ["CDH_LOAD_SHAPE"])
        self.steps = [(float(s), int(u)) for s, u in spec["steps"]]
        self.rate = float(spec["rate"])

    def tick(self):
        elapsed = self.get_run_time()
        begun, users = 0.0, 0
        for seconds, target in self.steps:
            if elapsed < begun + seconds:
                now = users + (target - users) * (elapsed - begun) / seconds
                return round(now), self.rate
            begun, users = begun + seconds, target
        return None
'''


@dataclass(frozen=True)
class Step:
    """Ramp linearly to ``users`` over ``seconds``."""

    seconds: float
    users: int


def parse_shape(text: str) -> tuple[Step, ...]:
    """Steps from ``DURATION:USERS,...``.

    Raises:
        ThresholdSyntaxError: a step is malformed.
    """
    steps = []
    for part in text.split(","):
        duration, colon, users = part.strip().partition(":")
        if not colon or not users.strip().isdigit():
            raise ThresholdSyntaxError(
                f"load shape {text!r}: step {part.strip()!r} is not DURATION:USERS "
                "(write e.g. 10s:20,30s:20,5s:0)"
            )
        steps.append(Step(parse_duration(duration.strip()), int(users)))
    if not any(step.users for step in steps):
        raise ThresholdSyntaxError(f"load shape {text!r} never starts a user")
    return tuple(steps)


def phases(users: int, ramp_up: float, steady: float, ramp_down: float) -> str:
    """The shape of a ramp-up, a steady state and a ramp-down, as text."""
    parts = [(ramp_up, users), (steady, users), (ramp_down, 0)]
    return ",".join(f"{seconds:g}s:{count}" for seconds, count in parts if seconds)


def bounded(steps: Sequence[Step], duration: float) -> tuple[Step, ...]:
    """The steps cut off at ``duration`` seconds, the stage's run time."""
    kept: list[Step] = []
    begun, users = 0.0, 0
    for step in steps:
        if begun >= duration:
            break
        if begun + step.seconds <= duration:
            kept.append(step)
        else:
            part = duration - begun
            reached = users + (step.users - users) * part / step.seconds
            kept.append(Step(part, round(reached)))
        begun, users = begun + step.seconds, step.users
    return tuple(kept)


def length(steps: Sequence[Step]) -> float:
    """Seconds the shape runs."""
    return sum(step.seconds for step in steps)


def peak(steps: Sequence[Step]) -> int:
    return max((step.users for step in steps), default=0)


def write_shape(folder: Path, steps: Sequence[Step]) -> tuple[Path, dict[str, str]]:
    """Write the shape's locustfile; return it and the environment it reads."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cdh_shape.py"
    path.write_text(_SOURCE, encoding="utf-8")
    # A spawn rate of the peak per second lets every 1s tick reach its count.
    spec = {
        "steps": [[step.seconds, step.users] for step in steps],
        "rate": max(1, peak(steps)),
    }
    return path, {ENV: json.dumps(spec)}
