"""Judge a load run's statistics against its SLO thresholds.

Each :class:`~harness.thresholds.Threshold` yields one :class:`Verdict`. A
threshold about a request nobody made, or a figure locust did not report,
fails with a reason instead of passing vacuously: the gate fails closed.

Example::

    stats = read_stats(".cdh/load/locustfile")
    verdicts = evaluate([parse_threshold("p95 < 300ms")], stats)
    if not all(v.passed for v in verdicts):
        ...
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.load.stats import RequestStats, percentile_column
from harness.thresholds import AGGREGATE, Threshold

log = logging.getLogger(__name__)

_TIMES = {"avg": "avg", "min": "min", "max": "max", "median": "median"}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one threshold.

    Attributes:
        threshold: the threshold judged.
        measured: the figure measured, in the threshold's units (ms for
            times, a fraction for error_rate, per second for rps); None
            when there was nothing to measure.
        passed: whether the figure met the threshold.
        reason: why there is no figure, empty otherwise.
    """

    threshold: Threshold
    measured: float | None
    passed: bool
    reason: str = ""

    @property
    def limit(self) -> float:
        return self.threshold.limit

    def __str__(self) -> str:
        outcome = "passed" if self.passed else "FAILED"
        if self.measured is None:
            return f"{self.threshold.text}: {self.reason} — {outcome}"
        shown = format_value(self.threshold.metric, self.measured)
        return f"{self.threshold.text}: measured {shown} — {outcome}"

    def to_dict(self) -> dict[str, Any]:
        """The verdict as the results file records it."""
        return {
            "threshold": self.threshold.text,
            "measured": self.measured,
            "limit": self.limit,
            "passed": self.passed,
            "reason": self.reason,
        }


def evaluate(
    thresholds: Iterable[Threshold], stats: Mapping[str, RequestStats]
) -> list[Verdict]:
    """One verdict per threshold, in the order given."""
    verdicts = [_judge(threshold, stats) for threshold in thresholds]
    for verdict in verdicts:
        log.info("load gate: %s", verdict)
    return verdicts


def format_value(metric: str, value: float) -> str:
    """A measured figure in the threshold's units: ``412ms``, ``0.5%``, ``63.2``."""
    if metric == "error_rate":
        return f"{_number(value * 100)}%"
    if metric == "rps":
        return _number(value)
    return f"{_number(value)}ms"


def _judge(threshold: Threshold, stats: Mapping[str, RequestStats]) -> Verdict:
    entry = _find(threshold.request, stats)
    if entry is None:
        seen = ", ".join(sorted(stats)) or "none"
        return _no_data(
            threshold, f"no data: no request named {threshold.request!r} (seen: {seen})"
        )
    if entry.requests == 0:
        return _no_data(threshold, f"no data: {entry.key} made no requests")

    measured, reason = _measure(threshold.metric, entry)
    if measured is None:
        return _no_data(threshold, reason)
    return Verdict(threshold, measured, threshold.holds(measured))


def _find(request: str, stats: Mapping[str, RequestStats]) -> RequestStats | None:
    if request in stats:
        return stats[request]

    # "p95[/orders]" may name a request without its method when that is
    # unambiguous.
    named = [entry for entry in stats.values() if entry.name == request]
    if len(named) == 1 and request != AGGREGATE:
        return named[0]
    return None


def _measure(metric: str, entry: RequestStats) -> tuple[float | None, str]:
    if metric == "error_rate":
        return entry.error_rate, "no data: no requests"
    if metric == "rps":
        return entry.rps, ""
    if metric in _TIMES:
        value: float | None = getattr(entry, _TIMES[metric])
        return value, f"no data: locust reported no {metric} for {entry.key}"

    column = percentile_column(float(metric[1:]))
    if column not in entry.percentiles:
        reported = ", ".join(entry.percentiles) or "none"
        return None, (
            f"no data: locust reports no {column} percentile (reported: {reported})"
        )
    return entry.percentiles[column], f"no data: {column} of {entry.key} is N/A"


def _no_data(threshold: Threshold, reason: str) -> Verdict:
    return Verdict(threshold, None, passed=False, reason=reason)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
