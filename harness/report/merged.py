"""One JUnit file for the whole run, merged from the stages' files.

CI systems that take a single test report (GitLab's ``artifacts:reports:
junit`` takes a list, Jenkins' ``junit`` step a glob, but many dashboards
one file) get ``junit.xml`` in the run folder: a ``<testsuites>`` holding
every stage's suites, each suite named after its stage, with totals.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_COUNTS = ("tests", "failures", "errors", "skipped")


def merge_junit(
    stage_files: Iterable[tuple[str, Path]], target: Path, name: str
) -> Path:
    """Merge stages' JUnit files into ``target``; unreadable ones are skipped.

    Args:
        stage_files: (stage name, JUnit file) in stage order.
        target: the merged file to write.
        name: the ``<testsuites>`` name, the pipeline's.
    """
    merged = ET.Element("testsuites", name=name)
    totals = dict.fromkeys(_COUNTS, 0)
    seconds = 0.0
    for stage, path in stage_files:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            log.debug("no JUnit file for stage %s at %s", stage, path)
            continue
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            suite.set("name", stage)
            for key in _COUNTS:
                totals[key] += int(suite.get(key, "0") or 0)
            seconds += float(suite.get("time", "0") or 0)
            merged.append(suite)
    for key, value in totals.items():
        merged.set(key, str(value))
    merged.set("time", f"{seconds:.3f}")
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(merged).write(target, encoding="utf-8", xml_declaration=True)
    log.info("merged JUnit of %d tests written to %s", totals["tests"], target)
    return target
