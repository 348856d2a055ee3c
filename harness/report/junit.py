"""Reading the JUnit XML that each test stage's pytest session writes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.run import Failure, TestCounts


class UnreadableResultsError(Exception):
    """The JUnit file is missing or not JUnit; the stage's gate fails closed."""


def read_junit(path: Path) -> TestCounts:
    """Count the test cases of a JUnit file.

    Raises:
        UnreadableResultsError: the file is missing, empty or not JUnit XML.
    """
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise UnreadableResultsError(f"no results file {path}") from None
    except (ET.ParseError, OSError) as error:
        raise UnreadableResultsError(
            f"unreadable results file {path}: {error}"
        ) from None
    if root.tag not in ("testsuites", "testsuite"):
        raise UnreadableResultsError(f"{path} is not JUnit XML (root <{root.tag}>)")

    total = failed = errors = skipped = 0
    failures: list[Failure] = []
    for case in root.iter("testcase"):
        total += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        for outcome in case:
            if outcome.tag == "failure":
                failed += 1
                failures.append(Failure(name, _first_line(outcome)))
            elif outcome.tag == "error":
                errors += 1
                failures.append(Failure(name, _first_line(outcome)))
            elif outcome.tag == "skipped":
                skipped += 1
    return TestCounts(total, failed, errors, skipped, tuple(failures))


def _first_line(element: ET.Element) -> str:
    message = element.get("message") or (element.text or "").strip()
    return message.splitlines()[0][:300] if message else "(no message)"
