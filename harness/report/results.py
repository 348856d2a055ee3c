"""results.json and summary.md: what a run did, for machines and for people."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.run import Run, StageResult


def run_record(run: Run) -> dict[str, Any]:
    """The run as plain data; results.json is this, pretty-printed."""
    stages = [_stage_record(r) for r in _ordered(run)]
    layers: dict[str, int] = {}
    for result in run.results.values():
        if result.layer and result.tests is not None:
            layers[result.layer] = layers.get(result.layer, 0) + result.tests.total
    return {
        "run_id": run.run_id,
        "pipeline": run.pipeline.name,
        "pipeline_file": str(run.pipeline.source),
        "environment": run.pipeline.environment,
        "status": "passed"
        if run.passed
        else ("interrupted" if run.interrupted else "failed"),
        "exit_code": run.exit_code,
        "started": run.started,
        "seconds": round(run.finished - run.started, 3),
        "layers": layers,
        "stages": stages,
    }


def _ordered(run: Run) -> list[StageResult]:
    ordered = [run.results[n] for n in run.pipeline.stages if n in run.results]
    if run.teardown is not None:
        ordered.append(run.teardown)
    return ordered


def _stage_record(result: StageResult) -> dict[str, Any]:
    record = asdict(result)
    record["seconds"] = round(result.seconds, 3)
    if result.tests is not None:
        record["tests"] = {
            "total": result.tests.total,
            "passed": result.tests.passed,
            "failed": result.tests.failed,
            "errors": result.tests.errors,
            "skipped": result.tests.skipped,
            "failures": [asdict(f) for f in result.tests.failures],
        }
    return record


def stage_table(run: Run) -> str:
    """A fixed-width table of stages for the terminal."""
    rows = [f"{'stage':<14} {'status':<8} {'tests':>6} {'seconds':>8}  detail"]
    for result in _ordered(run):
        tests = str(result.tests.total) if result.tests is not None else "-"
        rows.append(
            f"{result.name:<14} {result.status:<8} {tests:>6} {result.seconds:>8.1f}  "
            f"{result.reason}"
        )
    return "\n".join(rows)


def summary_markdown(run: Run) -> str:
    """A Markdown summary, fit for $GITHUB_STEP_SUMMARY."""
    record = run_record(run)
    verdict = {"passed": "passed", "failed": "FAILED", "interrupted": "INTERRUPTED"}
    lines = [
        f"# {run.pipeline.name}: {verdict[record['status']]}",
        "",
        f"Run `{run.run_id}` on the {run.pipeline.environment} environment, "
        f"{record['seconds']:.1f}s.",
        "",
        "| stage | status | tests | seconds | detail |",
        "|---|---|---:|---:|---|",
    ]
    for result in _ordered(run):
        tests = str(result.tests.total) if result.tests is not None else ""
        detail = result.reason.replace("|", "\\|")
        cells = [result.name, result.status, tests, f"{result.seconds:.1f}", detail]
        lines.append("| " + " | ".join(cells) + " |")
    lines += _gate_lines(record["stages"])
    lines += _failure_lines(record["stages"])
    if record["layers"]:
        seconds: dict[str, float] = {}
        for stage in record["stages"]:
            if stage.get("layer") and stage.get("tests"):
                layer = stage["layer"]
                seconds[layer] = seconds.get(layer, 0.0) + float(stage["seconds"])
        lines += [
            "",
            "## Pyramid",
            "",
            "| layer | tests | seconds |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {layer} | {count} | {seconds.get(layer, 0.0):.1f} |"
            for layer, count in record["layers"].items()
        ]
    lines += [
        "",
        f"Reports in `{run.run_dir}`: `report.html`, `junit.xml`, `results.json`.",
    ]
    return "\n".join(lines) + "\n"


def _gate_lines(stages: list[dict[str, Any]]) -> list[str]:
    rows = []
    for stage in stages:
        figures = stage.get("figures") or {}
        for problem in figures.get("invalid") or []:
            rows.append(
                f"| {stage['name']} | run validity | {_cell(problem)} | | | INVALID |"
            )
        for verdict in figures.get("verdicts") or []:
            measured = verdict.get("measured_text") or verdict.get("reason") or "n/a"
            outcome = "passed" if verdict.get("passed") else "**FAILED**"
            if verdict.get("status") not in (None, "passed", "failed"):
                outcome += f" ({verdict['status']})"
            rows.append(
                f"| {stage['name']} | `{_cell(str(verdict.get('threshold')))}` | "
                f"{_cell(str(measured))} | "
                f"{_cell(str(verdict.get('limit_text', '')))} | "
                f"{verdict.get('baseline_text') or ''} | {outcome} |"
            )
    if not rows:
        return []
    return [
        "",
        "## Gates",
        "",
        "| stage | gate | measured | threshold | baseline | verdict |",
        "|---|---|---:|---|---:|---|",
        *rows,
    ]


def _failure_lines(stages: list[dict[str, Any]], limit: int = 10) -> list[str]:
    failures = [
        (stage["name"], failure)
        for stage in stages
        for failure in (stage.get("tests") or {}).get("failures", [])
    ]
    if not failures:
        return []
    lines = ["", f"## Failing tests ({len(failures)})", ""]
    for stage, failure in failures[:limit]:
        lines.append(f"- **{stage}** `{failure['test']}`: {_cell(failure['message'])}")
    if len(failures) > limit:
        lines.append(f"- … and {len(failures) - limit} more, see `junit.xml`")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_reports(run: Run) -> Path:
    """Write results.json and summary.md into the run folder; return the folder."""
    run.run_dir.mkdir(parents=True, exist_ok=True)
    (run.run_dir / "results.json").write_text(
        json.dumps(run_record(run), indent=2, default=str) + "\n"
    )
    (run.run_dir / "summary.md").write_text(summary_markdown(run))
    return run.run_dir


def publish_step_summary(run: Run, environ: Mapping[str, str]) -> Path | None:
    """Append summary.md to the CI job summary, when the CI offers one.

    GitHub Actions names the file in ``$GITHUB_STEP_SUMMARY``; elsewhere
    nothing happens. Returns the file appended to.
    """
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with Path(target).open("a", encoding="utf-8") as summary:
        summary.write(summary_markdown(run))
    return Path(target)
