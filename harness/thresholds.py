"""Durations and SLO threshold expressions, parsed without any I/O.

A threshold reads ``<metric>[<request name>] <op> <value><unit> [options]``::

    p95 < 300ms             95th percentile response time of all requests
    p99.9[GET /orders] < 1s the same for one request name
    avg < 120ms             also min, max and median
    error_rate < 1%         failed requests / all requests
    rps > 50                requests per second over the run

or, relative to the same figure in the last passing runs (the baseline)::

    p95 regresses < 10%               at most 10% slower than the baseline
    rps regresses < 5% slack=2        at most 5% (plus 2 rps) less throughput

Options follow the expression, separated by spaces:

``min_samples=N``
    the figure needs at least N requests to be judged (default: the
    stage's ``min_samples``); fewer fail closed as "too few samples".
``abort_on_fail``
    stop the run as soon as the threshold fails while it runs (checked
    every couple of seconds), like k6's ``abortOnFail``.
``delay=DURATION``
    grace period before ``abort_on_fail`` is first checked (k6's
    ``delayAbortEval``).
``slack=VALUE``
    the noise floor of a ``regresses`` threshold: an absolute change this
    small never counts as a regression (defaults: 5ms, 0.1%, 1 rps).

Times are compared in milliseconds, error rates as fractions.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[a-z_]+[0-9.]*)"
    r"(?:\[(?P<name>[^\]]+)\])?"
    r"\s*(?P<regresses>regresses\s*)?"
    r"(?P<op><=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?"
    r"(?P<options>(?:\s+[a-z_]+(?:=\S+)?)*)\s*$"
)
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|%)?$")
_TIME_METRICS = {"avg", "max", "min", "median"}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_DEFAULT_SLACK = {"time": 5.0, "error_rate": 0.001, "rps": 1.0}
_HINT = "write e.g. 'p95 < 300ms', 'error_rate < 1%', 'rps > 50'"

AGGREGATE = "Aggregated"


_LONGEST = 7 * 24 * 3600.0


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
    if not 0 < seconds <= _LONGEST:
        raise ThresholdSyntaxError(f"{text!r} is not a duration between 1ms and 7 days")
    return seconds


@dataclass(frozen=True)
class Threshold:
    """One service-level objective a load stage is gated on.

    Attributes:
        text: the expression as written.
        metric: ``p95``, ``avg``, ``error_rate``, ``rps``, ...
        op: the comparison; for a ``regresses`` threshold always ``<`` or
            ``<=`` against the relative change.
        limit: ms for times, a fraction for error_rate and for the allowed
            regression, per second for rps.
        request: the request key (``"GET /orders"``) or ``"Aggregated"``.
        relative: a ``regresses`` threshold, judged against the baseline.
        slack: the noise floor of a relative threshold, in the metric's units.
        abort_on_fail: stop the run early when it fails while running.
        abort_delay: seconds before ``abort_on_fail`` is first checked.
        min_samples: requests needed before judging; None means the stage's.
    """

    text: str
    metric: str
    op: str
    limit: float
    request: str = AGGREGATE
    relative: bool = False
    slack: float = 0.0
    abort_on_fail: bool = False
    abort_delay: float = 0.0
    min_samples: int | None = None

    @property
    def kind(self) -> str:
        """``"time"``, ``"error_rate"`` or ``"rps"``: the metric's units."""
        return self.metric if self.metric in ("error_rate", "rps") else "time"

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "rps"

    def holds(self, measured: float) -> bool:
        """Whether an absolute threshold holds for the measured figure."""
        return _OPERATORS[self.op](measured, self.limit)

    def regression(self, measured: float, baseline: float) -> float:
        """How much worse than the baseline, as a fraction; negative if better."""
        worse = baseline - measured if self.higher_is_better else measured - baseline
        if baseline == 0:
            return 0.0 if worse <= 0 else float("inf")
        return worse / baseline

    def holds_against(self, measured: float, baseline: float) -> bool:
        """Whether a relative threshold holds: within the limit or the slack."""
        worse = baseline - measured if self.higher_is_better else measured - baseline
        if worse <= self.slack:
            return True
        return _OPERATORS[self.op](self.regression(measured, baseline), self.limit)


def parse_threshold(text: str) -> Threshold:
    """Parse one threshold expression (see the module docstring).

    Raises:
        ThresholdSyntaxError: the expression is malformed, its unit does not
            fit its metric or an option is unknown.
    """
    match = _THRESHOLD.match(text)
    if not match:
        raise ThresholdSyntaxError(f"{text!r} is not a threshold ({_HINT})")
    metric, unit, op = match["metric"], match["unit"], match["op"]
    value = float(match["value"])
    kind = _kind(text, metric)

    if match["regresses"]:
        if op not in ("<", "<="):
            raise ThresholdSyntaxError(
                f"{text!r}: a regression is bounded from above (regresses < 10%)"
            )
        if unit != "%":
            raise ThresholdSyntaxError(
                f"{text!r}: a regression is a percentage (regresses < 10%)"
            )
        limit = value / 100.0
    else:
        limit = _absolute(text, metric, kind, value, unit)

    threshold = Threshold(
        text=text.strip(),
        metric=metric,
        op=op,
        limit=limit,
        request=(match["name"] or AGGREGATE).strip(),
        relative=bool(match["regresses"]),
        slack=_DEFAULT_SLACK[kind] if match["regresses"] else 0.0,
    )
    return _with_options(threshold, match["options"].split())


def _kind(text: str, metric: str) -> str:
    percentile = _PERCENTILE.match(metric)
    if percentile:
        if not 0 < float(percentile.group(1)) <= 100:
            raise ThresholdSyntaxError(f"{text!r}: a percentile lies between 0 and 100")
        return "time"
    if metric in _TIME_METRICS:
        return "time"
    if metric in ("error_rate", "rps"):
        return metric
    raise ThresholdSyntaxError(
        f"{text!r}: unknown metric {metric!r} (use p50…p99.9, avg, min, max, "
        "median, error_rate or rps)"
    )


def _absolute(
    text: str, metric: str, kind: str, value: float, unit: str | None
) -> float:
    if kind == "time":
        if unit not in ("ms", "s"):
            raise ThresholdSyntaxError(f"{text!r}: {metric} needs a unit, ms or s")
        return value * 1000.0 if unit == "s" else value
    if kind == "error_rate":
        if unit not in ("%", None):
            raise ThresholdSyntaxError(f"{text!r}: error_rate takes % or a fraction")
        fraction = value / 100.0 if unit == "%" else value
        if fraction > 1:
            raise ThresholdSyntaxError(
                f"{text!r}: an error rate lies between 0 and 100% (1 as a fraction)"
            )
        return fraction
    if unit is not None:
        raise ThresholdSyntaxError(f"{text!r}: rps takes a plain number")
    return value


def _with_options(threshold: Threshold, options: list[str]) -> Threshold:
    text = threshold.text
    fields: dict[str, Any] = {}
    for option in options:
        name, _, value = option.partition("=")
        if name == "abort_on_fail" and not value:
            fields["abort_on_fail"] = True
        elif name == "delay" and value:
            fields["abort_delay"] = parse_duration(value)
        elif name == "min_samples" and value.isdigit() and int(value) > 0:
            fields["min_samples"] = int(value)
        elif name == "slack" and value and threshold.relative:
            fields["slack"] = _slack(text, threshold.kind, value)
        else:
            raise ThresholdSyntaxError(
                f"{text!r}: unknown or malformed option {option!r} (options: "
                "abort_on_fail, delay=10s, min_samples=100, slack=5ms for "
                "regresses)"
            )
    if "abort_delay" in fields and "abort_on_fail" not in fields:
        raise ThresholdSyntaxError(f"{text!r}: delay= only goes with abort_on_fail")
    if threshold.relative and "abort_on_fail" in fields:
        raise ThresholdSyntaxError(
            f"{text!r}: abort_on_fail needs an absolute threshold, not regresses"
        )
    return replace(threshold, **fields)


def _slack(text: str, kind: str, value: str) -> float:
    match = _AMOUNT.match(value)
    if not match:
        raise ThresholdSyntaxError(f"{text!r}: slack={value} is not an amount")
    amount, unit = float(match[1]), match[2]
    if kind == "time" and unit in ("ms", "s"):
        return amount * 1000.0 if unit == "s" else amount
    if kind == "error_rate" and unit in ("%", None):
        return amount / 100.0 if unit == "%" else amount
    if kind == "rps" and unit is None:
        return amount
    raise ThresholdSyntaxError(f"{text!r}: slack={value} does not fit the metric")
