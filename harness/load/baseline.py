"""Baselines for ``regresses`` thresholds, from the run history.

Every run leaves ``.cdh/runs/<run-id>/results.json``; a load stage's entry
there holds the figures of its run. The baseline of a figure is the median
over the last :data:`RUNS` runs of the same pipeline that passed as a
whole, so one lucky or unlucky run does not move it far. Runs that failed,
were interrupted or were judged invalid never become a baseline.

Example::

    baselines = find_baselines(Path(".cdh/runs"), "ci", "load", thresholds)
    verdicts = evaluate(thresholds, stats, baselines=baselines)
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.load.gate import baseline_key, measure
from harness.load.stats import RequestStats
from harness.thresholds import Threshold

log = logging.getLogger(__name__)

RUNS = 3
"""How many of the last passing runs a baseline is the median of."""


def find_baselines(
    history: Path,
    pipeline: str,
    stage: str,
    thresholds: Iterable[Threshold],
    *,
    runs: int = RUNS,
) -> dict[str, float]:
    """Baseline figures of the relative thresholds, keyed by ``baseline_key``.

    Args:
        history: the folder of run folders, ``.cdh/runs``.
        pipeline: the pipeline's name, as results.json records it.
        stage: the load stage's name.
        thresholds: the stage's thresholds; only ``regresses`` ones count.
        runs: how many of the last passing runs to take the median of.

    Returns:
        A figure for each threshold some earlier passing run measured.
    """
    relative = [t for t in thresholds if t.relative]
    if not relative:
        return {}

    recent = sorted(_passing_stage_figures(history, pipeline, stage), reverse=True)
    chosen = [stats for _, stats in recent[:runs]]
    baselines: dict[str, float] = {}
    for threshold in relative:
        values = [v for v in (measure(threshold, s) for s in chosen) if v is not None]
        if values:
            baselines[baseline_key(threshold)] = statistics.median(values)
    log.info(
        "baselines of %s/%s from %d passing runs: %s",
        pipeline,
        stage,
        len(chosen),
        baselines,
    )
    return baselines


def _passing_stage_figures(
    history: Path, pipeline: str, stage: str
) -> Iterator[tuple[float, dict[str, RequestStats]]]:
    if not history.is_dir():
        return
    for path in history.glob("*/results.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.debug("skipping unreadable %s", path)
            continue
        if not isinstance(record, dict) or record.get("pipeline") != pipeline:
            continue
        if record.get("status") != "passed":
            continue
        for entry in record.get("stages", []):
            if entry.get("name") != stage:
                continue
            stats = _stats(entry.get("figures", {}).get("stats", {}))
            if stats and entry.get("figures", {}).get("valid", True):
                yield float(record.get("started", 0.0)), stats


def _stats(raw: Any) -> dict[str, RequestStats]:
    if not isinstance(raw, dict):
        return {}
    stats: dict[str, RequestStats] = {}
    for key, row in raw.items():
        try:
            stats[key] = RequestStats(
                method=str(row.get("method", "")),
                name=str(row["name"]),
                requests=int(row["requests"]),
                failures=int(row["failures"]),
                median=row.get("median"),
                avg=row.get("avg"),
                min=row.get("min"),
                max=row.get("max"),
                rps=float(row.get("rps") or 0.0),
                failures_per_s=float(row.get("failures_per_s") or 0.0),
                percentiles=dict(row.get("percentiles") or {}),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return stats
