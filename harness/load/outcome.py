"""From a finished locust run to figures, verdicts and one failure message.

The order is validity before verdict: a run that locust could not finish,
that was aborted, interrupted or judged invalid fails for that reason
first; the thresholds' verdicts follow in the message either way.

Statistics come from locust's final JSON file when it wrote one, and from
its CSV snapshot otherwise (``stats_source`` says which).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import LoadError
from harness.load.baseline import find_baselines
from harness.load.final import read_final_stats
from harness.load.gate import Verdict, evaluate
from harness.load.options import LoadOptions
from harness.load.runner import LocustOutcome, LocustRun
from harness.load.stats import RequestStats, history_path, read_stats
from harness.load.validity import invalid_reasons
from harness.thresholds import AGGREGATE

PASSED, FAILED, INVALID, ABORTED, INTERRUPTED, ERROR = (
    "passed",
    "failed",
    "invalid",
    "aborted",
    "interrupted",
    "error",
)


@dataclass
class RunFigures:
    """What one load run measured and how it was judged."""

    stats: dict[str, RequestStats] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    aborted: str = ""
    interrupted: bool = False
    problem: str = ""
    stats_source: str = ""
    history: str = ""
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """passed, failed, invalid, aborted, interrupted or error."""
        if self.interrupted:
            return INTERRUPTED
        if self.invalid:
            return INVALID
        if self.problem:
            return ERROR
        if self.aborted:
            return ABORTED
        made = AGGREGATE in self.stats and self.stats[AGGREGATE].requests > 0
        if made and self.verdicts and all(v.passed for v in self.verdicts):
            return PASSED
        return FAILED if made or self.verdicts else ERROR

    def failure(self, locustfile: str, target: str, host: str) -> str:
        """The message the load item fails with; empty when it passed."""
        status = self.status
        if status == PASSED:
            return ""
        where = f"{locustfile} against {target} ({host})"
        lines = {
            INTERRUPTED: [f"load run interrupted: {where}"],
            ERROR: [self.problem or f"load gate failed: {where}"],
            ABORTED: [f"load run {self.aborted} — {where}"],
            INVALID: [f"load run invalid: {where}"]
            + [f"  invalid: {reason}" for reason in self.invalid],
            FAILED: [f"load gate failed: {where}"],
        }[status]
        if AGGREGATE in self.stats and not self.stats[AGGREGATE].requests:
            lines.append(
                "  locust made no requests — check that the locustfile's users "
                "have tasks and reach the host"
            )
        lines.extend(f"  {verdict}" for verdict in self.verdicts)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The fields the load results file adds for this run."""
        return {
            "status": self.status,
            "valid": not self.invalid,
            "invalid": list(self.invalid),
            "aborted": self.aborted or None,
            "stats_source": self.stats_source,
            "stats_history": self.history,
            "baselines": dict(self.baselines),
            "stats": {key: entry.to_dict() for key, entry in self.stats.items()},
            "verdicts": [verdict.to_dict() for verdict in self.verdicts],
        }


def judge_run(
    run: LocustRun, outcome: LocustOutcome, options: LoadOptions
) -> RunFigures:
    """Read a finished run's statistics and judge them, validity first."""
    figures = RunFigures(aborted=outcome.aborted, interrupted=outcome.interrupted)
    if history_path(run.csv_prefix).exists():
        figures.history = str(history_path(run.csv_prefix))
    try:
        figures.stats, figures.stats_source = read_run_stats(run)
    except LoadError as error:
        figures.problem = str(error)

    if outcome.returncode != 0 and not (outcome.aborted or outcome.interrupted):
        figures.problem = (
            f"locust exited with code {outcome.returncode} running "
            f"{run.locustfile.name}; its last output:\n{outcome.stderr_tail()}"
        )
    if figures.stats:
        figures.invalid = invalid_reasons(
            outcome.stderr,
            figures.stats,
            target_rps=options.target_rps,
            workers=options.workers,
        )
        if options.history is not None and options.stage:
            figures.baselines = find_baselines(
                options.history, options.pipeline, options.stage, options.thresholds
            )
        figures.verdicts = evaluate(
            options.thresholds,
            figures.stats,
            min_samples=options.min_samples,
            baselines=figures.baselines,
        )
    elif options.workers:
        figures.invalid = invalid_reasons(outcome.stderr, {}, workers=options.workers)
    return figures


def read_run_stats(run: LocustRun) -> tuple[dict[str, RequestStats], str]:
    """The run's statistics and where they came from: ``json`` or ``csv``."""
    if Path(run.json_file).exists():
        return read_final_stats(run.json_file), "json"
    return read_stats(run.csv_prefix), "csv"


def load_figures(run_dir: Path) -> dict[str, Any]:
    """A load stage's results file (``run_dir/load/results.json``); {} without.

    The pipeline runner keeps these figures on the stage's result even when
    the stage failed, so the reports can show the failed gate.
    """
    try:
        figures = json.loads((run_dir / "load" / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    return figures if isinstance(figures, dict) else {}
