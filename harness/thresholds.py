"""Durations and SLO threshold expressions, parsed without any I/O.

A threshold reads ``<metric>[<request name>] <op> <value><unit>``::

    p95 < 300ms             95th percentile response time of all requests
    p99[GET /orders] < 1s   the same for one request name
    avg < 120ms
    max < 2s
    error_rate < 1%         failed requests / all requests
    rps > 50                requests per second over the run

Times are compared in milliseconds, error rates as fractions.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[a-z_]+[0-9.]*)"
    r"(?:\[(?P<name>[^\]]+)\])?"
    r"\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?\s*$"
)
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
_TIME_METRICS = {"avg", "max", "min", "median"}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

AGGREGATE = "Aggregated"


class ThresholdSyntaxError(ValueError):
    """A threshold or duration expression cannot be parsed."""


def parse_duration(text: str | int | float) -> float:
    """Seconds in a duration such as ``30s``, ``2m``, ``500ms`` or ``45``.

    Raises:
        ThresholdSyntaxError: the text is not a positive duration.
    """
    if isinstance(text, bool):
        raise ThresholdSyntaxError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _DURATION.match(text)
        if not match:
            raise ThresholdSyntaxError(
                f"{text!r} is not a duration (write e.g. 30s, 2m, 500ms)"
            )
        seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds <= 0:
        raise ThresholdSyntaxError(f"{text!r} is not a positive duration")
    return seconds


@dataclass(frozen=True)
class Threshold:
    """One service-level objective a load stage is gated on."""

    text: str
    metric: str
    op: str
    limit: float
    request: str = AGGREGATE

    def holds(self, measured: float) -> bool:
        return _OPERATORS[self.op](measured, self.limit)


def parse_threshold(text: str) -> Threshold:
    """Parse one threshold expression (see the module docstring).

    Raises:
        ThresholdSyntaxError: the expression is malformed or its unit does
            not fit its metric.
    """
    match = _THRESHOLD.match(text)
    if not match:
        raise ThresholdSyntaxError(
            f"{text!r} is not a threshold (write e.g. 'p95 < 300ms', "
            "'error_rate < 1%', 'rps > 50')"
        )
    metric, unit = match["metric"], match["unit"]
    value = float(match["value"])
    percentile = _PERCENTILE.match(metric)

    if percentile or metric in _TIME_METRICS:
        if unit not in ("ms", "s"):
            raise ThresholdSyntaxError(f"{text!r}: {metric} needs a unit, ms or s")
        limit = value * 1000.0 if unit == "s" else value
        if percentile and not 0 < float(percentile.group(1)) < 100:
            raise ThresholdSyntaxError(f"{text!r}: a percentile lies between 0 and 100")
    elif metric == "error_rate":
        if unit not in ("%", None):
            raise ThresholdSyntaxError(f"{text!r}: error_rate takes % or a fraction")
        limit = value / 100.0 if unit == "%" else value
    elif metric == "rps":
        if unit is not None:
            raise ThresholdSyntaxError(f"{text!r}: rps takes a plain number")
        limit = value
    else:
        raise ThresholdSyntaxError(
            f"{text!r}: unknown metric {metric!r} (use p50…p99.9, avg, min, max, "
            "median, error_rate or rps)"
        )
    return Threshold(
        text=text.strip(),
        metric=metric,
        op=match["op"],
        limit=limit,
        request=(match["name"] or AGGREGATE).strip(),
    )
