"""Failing tests with their timing, and the service log lines around them.

pytest's JUnit file gives each suite a start timestamp and each test case
its duration, in the order they ran; their running sum places each test in
time well enough to pick the service log lines written while it ran (the
local backend's werkzeug logs stamp every request to the second). When a
log has no timestamps the report shows its last lines instead.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MARGIN = 2.0
"""Seconds of log before and after a failing test's run that are shown."""

MAX_LINES = 30

# werkzeug: 127.0.0.1 - - [04/Dec/2026 15:49:07] "GET /x HTTP/1.1" 200 -
_WERKZEUG = re.compile(r"\[(\d{2}/[A-Z][a-z]{2}/\d{4} \d{2}:\d{2}:\d{2})\]")
# logging / locust: [2026-12-04 15:49:07,343] or 2026-12-04 15:49:07,343
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:[,.](\d{1,6}))?")


@dataclass(frozen=True)
class FailedTest:
    """One failed or erroring test case of a stage, placed in time."""

    stage: str
    test: str
    message: str
    detail: str
    started: float | None
    seconds: float
    logs: dict[str, list[str]] = field(default_factory=dict)


def failed_tests(junit: Path, stage: str) -> list[FailedTest]:
    """The failing test cases of one stage's JUnit file; empty if unreadable."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return []
    failed: list[FailedTest] = []
    for suite in root.iter("testsuite"):
        clock = _suite_start(suite.get("timestamp"))
        for case in suite.iter("testcase"):
            seconds = _float(case.get("time"))
            outcome = next((c for c in case if c.tag in ("failure", "error")), None)
            if outcome is not None:
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                failed.append(
                    FailedTest(
                        stage=stage,
                        test=name.strip(":"),
                        message=(outcome.get("message") or "").strip()[:500],
                        detail=(outcome.text or "").strip()[-4000:],
                        started=clock,
                        seconds=seconds,
                    )
                )
            if clock is not None:
                clock += seconds
    return failed


def with_logs(test: FailedTest, logs_dir: Path) -> FailedTest:
    """The test with each service's log lines written while it ran."""
    if not logs_dir.is_dir():
        return test
    found: dict[str, list[str]] = {}
    for path in sorted(logs_dir.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        picked = _around(lines, test.started, test.seconds)
        if picked:
            found[path.stem] = picked
    return FailedTest(**{**test.__dict__, "logs": found})


def _around(lines: list[str], started: float | None, seconds: float) -> list[str]:
    if started is None:
        return lines[-10:]
    first, last = started - MARGIN, started + seconds + MARGIN
    stamped = False
    picked: list[tuple[float, int, str]] = []
    for index, line in enumerate(lines):
        moment = _stamp(line)
        if moment is None:
            continue
        stamped = True
        if first <= moment <= last:
            # Distance from the test's own run: 0 while it ran.
            distance = max(started - moment, moment - (started + seconds), 0.0)
            picked.append((distance, index, line))
    if not stamped:
        return lines[-10:]
    # The lines nearest the test, kept in the order the service wrote them.
    nearest = sorted(picked)[:MAX_LINES]
    return [line for _, _, line in sorted(nearest, key=lambda entry: entry[1])]


def _stamp(line: str) -> float | None:
    match = _WERKZEUG.search(line)
    try:
        if match:
            return datetime.strptime(match[1], "%d/%b/%Y %H:%M:%S").timestamp()
        match = _ISO.search(line)
        if match:
            whole = datetime.fromisoformat(match[1].replace("T", " ")).timestamp()
            return whole + float(f"0.{match[2]}") if match[2] else whole
    except ValueError:
        return None
    return None


def _suite_start(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _float(text: str | None) -> float:
    try:
        return float(text or 0.0)
    except ValueError:
        return 0.0
