"""results.json and summary.md: what a run did, for machines and for people."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.pipeline.runner import Run
from harness.pipeline.stages import StageResult


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
    if record["layers"]:
        lines += ["", "## Pyramid", "", "| layer | tests |", "|---|---:|"]
        lines += [f"| {layer} | {count} |" for layer, count in record["layers"].items()]
    return "\n".join(lines) + "\n"


def write_reports(run: Run) -> Path:
    """Write results.json and summary.md into the run folder; return the folder."""
    run.run_dir.mkdir(parents=True, exist_ok=True)
    (run.run_dir / "results.json").write_text(
        json.dumps(run_record(run), indent=2, default=str) + "\n"
    )
    (run.run_dir / "summary.md").write_text(summary_markdown(run))
    return run.run_dir
