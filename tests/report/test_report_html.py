"""The HTML report, the merged JUnit file and summary.md of a failing run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report.html import render_html, write_run_reports
from harness.report.results import (
    publish_step_summary,
    run_record,
    summary_markdown,
)
from harness.run import Run


def test_report_is_self_contained(failing_run: Run) -> None:
    html = render_html(run_record(failing_run), failing_run.run_dir)

    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '<link rel="stylesheet"' not in html
    assert html.count("<svg") >= 4  # timeline, pyramid, two load charts


def test_report_shows_the_failed_gate_measured_against_its_threshold(
    failing_run: Run,
) -> None:
    html = render_html(run_record(failing_run), failing_run.run_dir)

    row = re.search(r'<tr class="row-failed gate-failed">(.*?)</tr>', html)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells[1] == "<code>error_rate &lt; 1%</code>"
    assert cells[2] == "7.98%"
    assert cells[3] == "&lt; 1%"
    assert cells[6].startswith("FAILED")


def test_failing_test_shows_message_and_the_log_lines_while_it_ran(
    failing_run: Run,
) -> None:
    html = render_html(run_record(failing_run), failing_run.run_dir)

    failure = html[html.index('<details open class="failure">') :]
    failure = failure[: failure.index("</details>")]
    assert "api: suites.api.test_catalog::test_adds" in failure
    assert "assert 500 == 201" in failure
    assert "POST /products HTTP/1.1&quot; 500" in failure
    assert "GET /health" not in failure  # a minute before the test
    assert "GET /products" not in failure  # 90s after it


def test_pyramid_counts_tests_and_seconds_per_layer(failing_run: Run) -> None:
    html = render_html(run_record(failing_run), failing_run.run_dir)

    assert "<title>api: 3 tests</title>" in html
    assert "<title>api: 3.2 seconds</title>" in html


def test_run_reports_write_the_html_and_one_merged_junit(failing_run: Run) -> None:
    written = write_run_reports(failing_run)

    assert [p.name for p in written] == ["junit.xml", "report.html"]
    merged = ET.parse(failing_run.run_dir / "junit.xml").getroot()
    assert merged.tag == "testsuites"
    assert (merged.get("tests"), merged.get("failures")) == ("3", "1")
    assert [s.get("name") for s in merged.iter("testsuite")] == ["api"]


def test_summary_lists_gates_failures_and_the_pyramid_with_seconds(
    failing_run: Run,
) -> None:
    summary = summary_markdown(failing_run)

    assert "| load | `error_rate < 1%` | 7.98% | < 1% |  | **FAILED** |" in summary
    assert "| load | `p95 < 300ms` | 45ms | < 300ms |  | passed |" in summary
    assert "- **api** `suites.api.test_catalog::test_adds`: assert 500 == 201" in (
        summary
    )
    assert "| api | 3 | 3.2 |" in summary


def test_summary_is_appended_to_the_github_step_summary(
    failing_run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "step_summary.md"
    target.write_text("earlier step\n")

    assert publish_step_summary(failing_run, {"GITHUB_STEP_SUMMARY": str(target)})
    assert publish_step_summary(failing_run, {}) is None
    text = target.read_text()
    assert text.startswith("earlier step\n# ci: FAILED")
