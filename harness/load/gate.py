"""Judge a load run's statistics against its SLO thresholds.

Each :class:`~harness.thresholds.Threshold` yields one :class:`Verdict`,
whose ``status`` is one of:

``passed`` / ``failed``
    the figure was measured on enough requests and met the threshold, or not.
``no data``
    a request nobody made, or a figure locust did not report: fails closed.
``too few samples``
    fewer requests than the threshold's ``min_samples`` (default
    :data:`MIN_SAMPLES`): a p99 of 12 requests is noise, so it fails closed.
``no baseline``
    a ``regresses`` threshold with no passing run to compare against yet:
    passes, so that a pipeline's first run can set the baseline.

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

MIN_SAMPLES = 100
"""Requests a figure needs before it is judged, unless a threshold says."""

PASSED, FAILED, NO_DATA, TOO_FEW, NO_BASELINE = (
    "passed",
    "failed",
    "no data",
    "too few samples",
    "no baseline",
)
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
        reason: why there is no figure or no judgement, empty otherwise.
        status: passed, failed, no data, too few samples or no baseline.
        samples: the requests the figure was measured on.
        baseline: the baseline figure of a ``regresses`` threshold.
    """

    threshold: Threshold
    measured: float | None
    passed: bool
    reason: str = ""
    status: str = ""
    samples: int = 0
    baseline: float | None = None

    @property
    def limit(self) -> float:
        return self.threshold.limit

    @property
    def outcome(self) -> str:
        return self.status or (PASSED if self.passed else FAILED)

    def __str__(self) -> str:
        shown = "passed" if self.passed else "FAILED"
        if self.measured is None or self.status in (TOO_FEW, NO_BASELINE):
            return f"{self.threshold.text}: {self.reason} — {shown}"
        measured = format_value(self.threshold.metric, self.measured)
        if self.baseline is None:
            return f"{self.threshold.text}: measured {measured} — {shown}"
        base = format_value(self.threshold.metric, self.baseline)
        change = self.threshold.regression(self.measured, self.baseline)
        return (
            f"{self.threshold.text}: measured {measured}, baseline {base} "
            f"({_signed_percent(change)} worse) — {shown}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The verdict as the results file records it."""
        metric = self.threshold.metric
        return {
            "threshold": self.threshold.text,
            "request": self.threshold.request,
            "metric": metric,
            "measured": self.measured,
            "limit": self.limit,
            "passed": self.passed,
            "reason": self.reason,
            "status": self.outcome,
            "samples": self.samples,
            "baseline": self.baseline,
            "measured_text": _shown(metric, self.measured),
            "limit_text": self.limit_text(),
            "baseline_text": _shown(metric, self.baseline),
        }

    def limit_text(self) -> str:
        """The limit as written: ``< 300ms``, ``< 1%``, ``regresses < 10%``."""
        threshold = self.threshold
        if threshold.relative:
            return f"regresses {threshold.op} {_number(threshold.limit * 100)}%"
        return f"{threshold.op} {format_value(threshold.metric, threshold.limit)}"


def evaluate(
    thresholds: Iterable[Threshold],
    stats: Mapping[str, RequestStats],
    *,
    min_samples: int = MIN_SAMPLES,
    baselines: Mapping[str, float] | None = None,
) -> list[Verdict]:
    """One verdict per threshold, in the order given.

    Args:
        thresholds: the stage's thresholds.
        stats: per-request figures, keyed as :mod:`~harness.load.stats` says.
        min_samples: requests needed unless a threshold sets its own.
        baselines: baseline figures of ``regresses`` thresholds, keyed by
            :func:`baseline_key`.
    """
    verdicts = [
        _judge(threshold, stats, min_samples, baselines or {})
        for threshold in thresholds
    ]
    for verdict in verdicts:
        log.info("load gate: %s", verdict)
    return verdicts


def baseline_key(threshold: Threshold) -> str:
    """Which figure a threshold reads: ``"p95 Aggregated"``."""
    return f"{threshold.metric} {threshold.request}"


def measure(threshold: Threshold, stats: Mapping[str, RequestStats]) -> float | None:
    """The figure a threshold reads from some statistics; None without it."""
    entry = find(threshold.request, stats)
    if entry is None or entry.requests == 0:
        return None
    return _measure(threshold.metric, entry)[0]


def format_value(metric: str, value: float) -> str:
    """A measured figure in the threshold's units: ``412ms``, ``0.5%``, ``63.2``."""
    if metric == "error_rate":
        return f"{_number(value * 100)}%"
    if metric == "rps":
        return _number(value)
    return f"{_number(value)}ms"


def find(request: str, stats: Mapping[str, RequestStats]) -> RequestStats | None:
    """The entry a threshold's request names, exactly or without its method."""
    if request in stats:
        return stats[request]

    # "p95[/orders]" may name a request without its method when that is
    # unambiguous.
    named = [entry for entry in stats.values() if entry.name == request]
    if len(named) == 1 and request != AGGREGATE:
        return named[0]
    return None


def _judge(
    threshold: Threshold,
    stats: Mapping[str, RequestStats],
    min_samples: int,
    baselines: Mapping[str, float],
) -> Verdict:
    entry = find(threshold.request, stats)
    if entry is None:
        seen = ", ".join(sorted(stats)) or "none"
        return _failed(
            threshold,
            NO_DATA,
            f"no data: no request named {threshold.request!r} (seen: {seen})",
        )
    if entry.requests == 0:
        return _failed(threshold, NO_DATA, f"no data: {entry.key} made no requests")

    measured, reason = _measure(threshold.metric, entry)
    if measured is None:
        return _failed(threshold, NO_DATA, reason)
    needed = threshold.min_samples or min_samples
    if entry.requests < needed:
        return Verdict(
            threshold,
            measured,
            passed=False,
            reason=f"too few samples: {entry.requests} requests to {entry.key}, "
            f"need at least {needed} (min_samples)",
            status=TOO_FEW,
            samples=entry.requests,
        )
    if not threshold.relative:
        passed = threshold.holds(measured)
        return Verdict(
            threshold,
            measured,
            passed,
            status=PASSED if passed else FAILED,
            samples=entry.requests,
        )

    baseline = baselines.get(baseline_key(threshold))
    if baseline is None:
        return Verdict(
            threshold,
            measured,
            passed=True,
            reason="no baseline yet: no earlier passing run measured "
            f"{baseline_key(threshold)}; this run can become one",
            status=NO_BASELINE,
            samples=entry.requests,
        )
    passed = threshold.holds_against(measured, baseline)
    return Verdict(
        threshold,
        measured,
        passed,
        status=PASSED if passed else FAILED,
        samples=entry.requests,
        baseline=baseline,
    )


def _measure(metric: str, entry: RequestStats) -> tuple[float | None, str]:
    if metric == "error_rate":
        return entry.error_rate, "no data: no requests"
    if metric == "rps":
        return entry.rps, ""
    if metric in _TIMES:
        value: float | None = getattr(entry, _TIMES[metric])
        return value, f"no data: locust reported no {metric} for {entry.key}"

    percent = float(metric[1:])
    column = percentile_column(percent)
    if not entry.histogram and column not in entry.percentiles:
        reported = ", ".join(entry.percentiles) or "none"
        return None, (
            f"no data: locust reports no {column} percentile (reported: {reported})"
        )
    return entry.percentile(percent), f"no data: {column} of {entry.key} is N/A"


def _failed(threshold: Threshold, status: str, reason: str) -> Verdict:
    return Verdict(threshold, None, passed=False, reason=reason, status=status)


def _shown(metric: str, value: float | None) -> str:
    return "" if value is None else format_value(metric, value)


def _signed_percent(fraction: float) -> str:
    if not math.isfinite(fraction):
        return "∞%"
    return f"{'+' if fraction >= 0 else ''}{_number(round(fraction * 100, 1))}%"


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
