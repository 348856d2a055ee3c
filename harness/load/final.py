"""Read locust's final statistics from the file its ``--json-file`` writes.

The CSV file is a snapshot locust rewrites once a second, so it misses up
to the last second of a run; the JSON file is written once, after the
last request, and holds each request name's bucketed response times. The
gate prefers it: percentiles are computed from the buckets exactly as
locust computes them (see :func:`~harness.load.stats.histogram_percentile`),
and any percentile can be asked for, not only the reported columns.

The file has no total row; ``Aggregated`` merges all request names, as
locust's own total does. Rates are requests over the span from the first
request name's start to the last request of any name.

Locust appends ``.json`` to the name it is given: ``--json-file run``
writes ``run.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import LoadError
from harness.load.stats import RequestStats, histogram_percentile, percentile_column
from harness.thresholds import AGGREGATE

REPORTED = (50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100)
"""The percentiles recorded per request name, as locust's CSV reports them."""


def read_final_stats(path: Path) -> dict[str, RequestStats]:
    """Per-request figures from locust's JSON file, plus ``Aggregated``.

    Raises:
        LoadError: the file is missing or not locust's statistics.
    """
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(
            f"{path}: locust wrote no final statistics — the run did not start "
            "or was killed; see locust's output"
        ) from None
    except ValueError as error:
        raise LoadError(f"{path}: not JSON ({error}) — the file is corrupt") from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) for entry in entries
    ):
        raise LoadError(f"{path}: not a list of locust statistics entries")

    try:
        start = min((float(e["start_time"]) for e in entries), default=0.0)
        end = max((float(e["last_request_timestamp"] or 0) for e in entries), default=0)
        span = end - start if end > start else 0.0
        stats = {
            stats.key: stats
            for stats in (
                _entry(e["method"] or "", e["name"], e, span) for e in entries
            )
        }
        stats[AGGREGATE] = _aggregate(entries, span)
    except (KeyError, TypeError, ValueError) as error:
        raise LoadError(
            f"{path}: unreadable locust statistics ({type(error).__name__}: "
            f"{error}) — from an unsupported locust version?"
        ) from None
    return stats


def _entry(method: str, name: str, raw: Mapping[str, Any], span: float) -> RequestStats:
    histogram = {int(float(k)): int(v) for k, v in raw["response_times"].items()}
    return _stats(
        method,
        name,
        requests=int(raw["num_requests"]),
        failures=int(raw["num_failures"]),
        total_time=float(raw["total_response_time"]),
        fastest=raw["min_response_time"],
        slowest=raw["max_response_time"],
        histogram=histogram,
        span=span,
    )


def _aggregate(entries: list[dict[str, Any]], span: float) -> RequestStats:
    histogram: Counter[int] = Counter()
    for raw in entries:
        histogram.update(
            {int(float(k)): int(v) for k, v in raw["response_times"].items()}
        )
    fastest = [e["min_response_time"] for e in entries if e["min_response_time"]]
    return _stats(
        "",
        AGGREGATE,
        requests=sum(int(e["num_requests"]) for e in entries),
        failures=sum(int(e["num_failures"]) for e in entries),
        total_time=sum(float(e["total_response_time"]) for e in entries),
        fastest=min(fastest) if fastest else None,
        slowest=max((e["max_response_time"] for e in entries), default=None),
        histogram=dict(histogram),
        span=span,
    )


def _stats(
    method: str,
    name: str,
    *,
    requests: int,
    failures: int,
    total_time: float,
    fastest: float | None,
    slowest: float | None,
    histogram: dict[int, int],
    span: float,
) -> RequestStats:
    timed = sum(histogram.values())
    return RequestStats(
        method=method,
        name=name,
        requests=requests,
        failures=failures,
        median=histogram_percentile(histogram, timed, 50),
        avg=total_time / timed if timed else None,
        min=float(fastest) if fastest is not None and timed else None,
        max=float(slowest) if slowest is not None and timed else None,
        rps=requests / span if span else 0.0,
        failures_per_s=failures / span if span else 0.0,
        percentiles={
            percentile_column(p): histogram_percentile(histogram, timed, p)
            for p in REPORTED
        },
        histogram=histogram,
    )
