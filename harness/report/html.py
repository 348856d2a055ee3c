"""The HTML report of a run: one self-contained file, ``report.html``.

Everything is inline (CSS, a few lines of script, SVG charts), so the file
opens from a CI artifact store or an e-mail attachment with no network.
Sections: the verdict, a stage timeline, the gates (measured against
threshold, and baseline where there is one), the pyramid (tests and
seconds per layer), failing tests with their message and the service log
lines written while they ran, and each load stage's percentiles over time.

It is rendered from ``results.json``'s record, so :func:`render_html` can
rebuild the report of any run folder.
"""

from __future__ import annotations

import json
import logging
from html import escape
from pathlib import Path
from typing import Any

from harness.layers import Layer
from harness.load.stats import read_history
from harness.report.charts import Bar, lines, paired_bars, timeline
from harness.report.failures import FailedTest, failed_tests, with_logs
from harness.report.merged import merge_junit
from harness.report.results import run_record
from harness.run import Run

log = logging.getLogger(__name__)

REPORT = "report.html"
MERGED_JUNIT = "junit.xml"

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;
color:#212121}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;
border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;
font-weight:600}
.passed{color:#2e7d32}.failed,.error,.invalid,.aborted,.interrupted{color:#c62828}
.skipped,.no-baseline{color:#757575}
.badge.passed{background:#2e7d32;color:#fff}.badge.failed,.badge.interrupted{
background:#c62828;color:#fff}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #e0e0e0;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#fafafa}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.row-failed td{background:#ffebee}
pre{background:#f5f5f5;padding:.6em;overflow:auto;max-height:22em;font-size:12px}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
body.only-failed tr.row-passed{display:none}
.meta{color:#616161}
"""

_SCRIPT = """
document.getElementById("only-failed").addEventListener("change", function (e) {
  document.body.classList.toggle("only-failed", e.target.checked);
});
"""


def write_run_reports(run: Run) -> list[Path]:
    """Write the merged JUnit file and the HTML report into the run folder.

    Call after :func:`harness.report.results.write_reports`; returns the
    files written.
    """
    record = run_record(run)
    junit = merge_junit(
        [
            (stage["name"], run.run_dir / stage["junit"])
            for stage in record["stages"]
            if stage.get("junit")
        ],
        run.run_dir / MERGED_JUNIT,
        run.pipeline.name,
    )
    report = run.run_dir / REPORT
    report.write_text(render_html(record, run.run_dir), encoding="utf-8")
    log.info("HTML report written to %s", report)
    return [junit, report]


def render_html(record: dict[str, Any], run_dir: Path) -> str:
    """The report of one run, from its results.json record."""
    stages: list[dict[str, Any]] = record.get("stages", [])
    status = str(record.get("status", "failed"))
    title = f"{record.get('pipeline', 'pipeline')}: {status}"
    failures = _failures(stages, run_dir)
    body = [
        f"<h1>{escape(str(record.get('pipeline', '')))} "
        f'<span class="badge {escape(status)}">{escape(status.upper())}</span></h1>',
        f'<p class="meta">run {escape(str(record.get("run_id", "")))} on the '
        f"{escape(str(record.get('environment', '')))} environment, "
        f"{float(record.get('seconds', 0)):.1f}s, exit code "
        f"{escape(str(record.get('exit_code', '')))}</p>",
        '<label><input type="checkbox" id="only-failed"> show only what failed</label>',
        "<h2>Stages</h2>",
        _timeline(stages, float(record.get("started") or 0.0)),
        _stage_table(stages),
        "<h2>Gates</h2>",
        _gates(stages),
        "<h2>Pyramid</h2>",
        _pyramid(stages),
        f"<h2>Failing tests ({len(failures)})</h2>",
        _failing(failures),
        *_load_sections(stages),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _timeline(stages: list[dict[str, Any]], started: float) -> str:
    ran = [s for s in stages if s.get("started")]
    origin = min([float(s["started"]) for s in ran] + ([started] if started else []))
    bars = [
        Bar(
            label=str(stage["name"]),
            start=float(stage["started"]) - origin if stage.get("started") else 0.0,
            seconds=float(stage.get("seconds") or 0.0),
            status=str(stage.get("status", "")),
            detail=str(stage.get("reason", "")),
        )
        for stage in stages
        if stage.get("started") or stage.get("status") != "skipped"
    ]
    return timeline(bars)


def _stage_table(stages: list[dict[str, Any]]) -> str:
    rows = [
        "<table><tr><th>stage</th><th>status</th><th>tests</th><th>seconds</th>"
        "<th>detail</th></tr>"
    ]
    for stage in stages:
        status = str(stage.get("status", ""))
        tests = stage.get("tests") or {}
        rows.append(
            f'<tr class="row-{_row(status)}"><td>{escape(str(stage["name"]))}</td>'
            f'<td class="{escape(status)}">{escape(status)}</td>'
            f'<td class="num">{tests.get("total", "")}</td>'
            f'<td class="num">{float(stage.get("seconds") or 0):.1f}</td>'
            f"<td>{escape(str(stage.get('reason', '')))}</td></tr>"
        )
    return "".join(rows) + "</table>"


def _gates(stages: list[dict[str, Any]]) -> str:
    rows = [
        '<table id="gates"><tr><th>stage</th><th>gate</th><th>measured</th>'
        "<th>threshold</th><th>baseline</th><th>samples</th><th>verdict</th></tr>"
    ]
    for stage in stages:
        name = escape(str(stage["name"]))
        figures = stage.get("figures") or {}
        tests = stage.get("tests")
        if tests:
            broken = int(tests.get("failed", 0)) + int(tests.get("errors", 0))
            status = "passed" if stage.get("status") == "passed" else "failed"
            rows.append(
                f'<tr class="row-{status}"><td>{name}</td><td>tests</td>'
                f'<td class="num">{broken} of {tests.get("total", 0)} failed</td>'
                "<td>max_failures</td><td></td><td></td>"
                f'<td class="{status}">{_verdict_word(status)}</td></tr>'
            )
        for problem in figures.get("invalid") or []:
            rows.append(_problem_row(name, "run validity", str(problem), "invalid"))
        if figures.get("aborted"):
            rows.append(
                _problem_row(name, "abort_on_fail", figures["aborted"], "aborted")
            )
        for verdict in figures.get("verdicts") or []:
            status = str(
                verdict.get("status")
                or ("passed" if verdict.get("passed") else "failed")
            )
            row = "passed" if verdict.get("passed") else "failed"
            reason = escape(str(verdict.get("reason") or ""))
            rows.append(
                f'<tr class="row-{row} gate-{row}"><td>{name}</td>'
                f"<td><code>{escape(str(verdict.get('threshold', '')))}</code></td>"
                f'<td class="num">{escape(str(verdict.get("measured_text") or "—"))}'
                f"</td><td>{escape(str(verdict.get('limit_text', '')))}</td>"
                f'<td class="num">{escape(str(verdict.get("baseline_text") or ""))}'
                "</td>"
                f'<td class="num">{verdict.get("samples", "")}</td>'
                f'<td class="{row}" title="{reason}">{escape(_verdict_word(status))}'
                f"{'<br><small>' + reason + '</small>' if reason else ''}</td></tr>"
            )
    if len(rows) == 1:
        return "<p>No gates were judged.</p>"
    return "".join(rows) + "</table>"


def _problem_row(stage: str, gate: str, text: str, status: str) -> str:
    return (
        f'<tr class="row-failed gate-failed"><td>{stage}</td><td>{gate}</td>'
        f'<td colspan="4">{escape(text)}</td><td class="{status}">'
        f"{status.upper()}</td></tr>"
    )


def _verdict_word(status: str) -> str:
    return {"passed": "passed", "failed": "FAILED"}.get(status, status.upper())


def _pyramid(stages: list[dict[str, Any]]) -> str:
    tests: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for stage in stages:
        layer, counts = stage.get("layer"), stage.get("tests")
        if not layer or not counts:
            continue
        tests[layer] = tests.get(layer, 0) + int(counts.get("total", 0))
        seconds[layer] = round(
            seconds.get(layer, 0) + float(stage.get("seconds") or 0), 1
        )
    order = [layer.value for layer in Layer if layer.value in tests]
    return paired_bars(
        order,
        [tests[x] for x in order],
        [seconds[x] for x in order],
        ("tests", "seconds"),
    )


def _failures(stages: list[dict[str, Any]], run_dir: Path) -> list[FailedTest]:
    found: list[FailedTest] = []
    for stage in stages:
        if stage.get("junit") and (stage.get("tests") or {}).get("failures"):
            found += failed_tests(run_dir / stage["junit"], str(stage["name"]))
    return [with_logs(test, run_dir / "logs") for test in found]


def _failing(failures: list[FailedTest]) -> str:
    if not failures:
        return "<p>None.</p>"
    parts = []
    for test in failures:
        logs = "".join(
            f"<p>{escape(service)} log while it ran:</p>"
            f"<pre>{escape(chr(10).join(lines_))}</pre>"
            for service, lines_ in test.logs.items()
        )
        parts.append(
            f'<details open class="failure"><summary>{escape(test.stage)}: '
            f"{escape(test.test)}</summary><p>{escape(test.message)}</p>"
            f"<pre>{escape(test.detail)}</pre>{logs}</details>"
        )
    return "".join(parts)


def _load_sections(stages: list[dict[str, Any]]) -> list[str]:
    sections = []
    for stage in stages:
        figures = stage.get("figures") or {}
        history = str(figures.get("stats_history") or "")
        if not history:
            continue
        try:
            points = [
                p
                for p in read_history(history.removesuffix("_stats_history.csv"))
                if p.key == "Aggregated"
            ]
        except Exception as error:  # noqa: BLE001 - a report shows what it can
            log.warning("cannot read load history %s: %s", history, error)
            continue
        times = [float(p.timestamp) for p in points]
        percentiles = {
            f"p{label}": [p.percentiles.get(f"{label}%") for p in points]
            for label in ("50", "95", "99")
        }
        throughput = {
            "rps": [p.rps for p in points],
            "users": [float(p.users) for p in points],
        }
        sections.append(
            f"<h2>Load: {escape(str(stage['name']))}</h2>"
            "<p>Response time percentiles over time (locust's current window):</p>"
            + lines(times, percentiles, "ms")
            + "<p>Throughput and users:</p>"
            + lines(times, throughput, "")
            + _locust_report_link(figures)
        )
    return sections


def _locust_report_link(figures: dict[str, Any]) -> str:
    html = figures.get("html")
    if not html:
        return ""
    name = Path(str(html)).name
    return f"<p>Locust's own report: <code>load/{escape(name)}</code></p>"


def _row(status: str) -> str:
    return "passed" if status in ("passed", "skipped") else "failed"


def render_from_folder(run_dir: Path) -> str:
    """The report of a finished run folder, from its results.json."""
    record = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return render_html(record, run_dir)
