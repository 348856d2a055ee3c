"""Read the CSV files locust writes with ``--csv PREFIX``.

Columns are found by their header, never by position, so a locust release
that reorders or adds columns (or a locustfile that changes the reported
percentiles) still reads correctly. Missing or empty files are a
:class:`~harness.errors.LoadError`: a gate must fail closed when there is
no data to judge.

Requests are keyed as ``"<method> <name>"`` (``"GET /orders"``); locust's
total over all requests is keyed ``"Aggregated"``.

Locust rewrites ``PREFIX_stats.csv`` once a second while it runs, so the
file holds the last snapshot before shutdown: up to a second of the final
requests may be missing from it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import LoadError
from harness.thresholds import AGGREGATE

_PERCENTILE_COLUMN = re.compile(r"^(\d+(?:\.\d+)?)%$")
_MISSING = {"", "N/A", "nan"}

_STATS_COLUMNS = {
    "type": "Type",
    "name": "Name",
    "requests": "Request Count",
    "failures": "Failure Count",
    "median": "Median Response Time",
    "avg": "Average Response Time",
    "min": "Min Response Time",
    "max": "Max Response Time",
    "rps": "Requests/s",
    "failures_per_s": "Failures/s",
}
_HISTORY_COLUMNS = {
    "timestamp": "Timestamp",
    "users": "User Count",
    "type": "Type",
    "name": "Name",
    "rps": "Requests/s",
    "failures_per_s": "Failures/s",
    "requests": "Total Request Count",
    "failures": "Total Failure Count",
    "median": "Total Median Response Time",
    "avg": "Total Average Response Time",
    "min": "Total Min Response Time",
    "max": "Total Max Response Time",
}


@dataclass(frozen=True)
class RequestStats:
    """One row of ``PREFIX_stats.csv``: the figures of one request name.

    Times are in milliseconds. ``percentiles`` maps locust's column header
    (``"95%"``, ``"99.9%"``) to a time, or to None when nothing was
    measured.
    """

    method: str
    name: str
    requests: int
    failures: int
    median: float | None
    avg: float | None
    min: float | None
    max: float | None
    rps: float
    failures_per_s: float
    percentiles: dict[str, float | None] = field(default_factory=dict)
    histogram: dict[int, int] = field(default_factory=dict, repr=False)
    """Locust's bucketed response times (ms → count), from its JSON file only."""

    @property
    def key(self) -> str:
        """``"GET /orders"``, or ``"Aggregated"`` for the total row."""
        return f"{self.method} {self.name}" if self.method else self.name

    @property
    def error_rate(self) -> float | None:
        """Failed requests as a fraction of all requests; None without any."""
        return self.failures / self.requests if self.requests else None

    def percentile(self, value: float) -> float | None:
        """The time under which ``value`` percent of requests finished.

        Raises:
            KeyError: locust did not report that percentile.
        """
        if self.histogram:
            timed = sum(self.histogram.values())
            return histogram_percentile(self.histogram, timed, value)
        return self.percentiles[percentile_column(value)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "name": self.name,
            "requests": self.requests,
            "failures": self.failures,
            "error_rate": self.error_rate,
            "median": self.median,
            "avg": self.avg,
            "min": self.min,
            "max": self.max,
            "rps": self.rps,
            "failures_per_s": self.failures_per_s,
            "percentiles": dict(self.percentiles),
        }


@dataclass(frozen=True)
class HistoryPoint:
    """One row of ``PREFIX_stats_history.csv``: a snapshot during the run.

    ``rps`` is the rate at that moment; ``requests`` and the times are
    totals since the start. Times are in milliseconds.
    """

    timestamp: int
    users: int
    key: str
    rps: float
    failures_per_s: float
    requests: int
    failures: int
    median: float | None
    avg: float | None
    min: float | None
    max: float | None
    percentiles: dict[str, float | None] = field(default_factory=dict)


def percentile_column(value: float) -> str:
    """Locust's header for a percentile: 95 → ``"95%"``, 99.9 → ``"99.9%"``."""
    return f"{float(value):g}%"


def histogram_percentile(
    histogram: Mapping[int, int], requests: int, value: float
) -> float | None:
    """A percentile of bucketed response times, computed the way locust does.

    Locust keeps each response time rounded (to 1ms under 100ms, 10ms under
    1s, 100ms under 10s, then 1s) and reports the bucket at which the slowest
    ``100 - value`` percent begin. With few samples a high percentile is
    therefore the maximum's bucket, which rounding may put above the maximum.
    """
    if not requests or not histogram:
        return None
    allowed_above = int(requests * value / 100.0)
    counted = 0
    for bucket in sorted(histogram, reverse=True):
        counted += histogram[bucket]
        if requests - counted <= allowed_above:
            return float(bucket)
    return 0.0


def stats_path(prefix: Path | str) -> Path:
    return Path(f"{prefix}_stats.csv")


def history_path(prefix: Path | str) -> Path:
    return Path(f"{prefix}_stats_history.csv")


def read_stats(prefix: Path | str) -> dict[str, RequestStats]:
    """Per-request figures from ``PREFIX_stats.csv``, keyed as the module says.

    Args:
        prefix: the value given to locust's ``--csv``.

    Raises:
        LoadError: the file is missing, empty, lacks a column, holds a value
            that is not a number, or has no ``Aggregated`` row.
    """
    path = stats_path(prefix)
    stats: dict[str, RequestStats] = {}
    for row in _rows(path, _STATS_COLUMNS):
        entry = RequestStats(
            method=row.text("type"), name=row.text("name"), **_figures(row)
        )
        stats[entry.key] = entry

    if AGGREGATE not in stats:
        raise LoadError(
            f"{path}: no {AGGREGATE!r} row — locust stopped before writing its "
            "totals; see its log next to the CSV"
        )
    return stats


def _figures(row: _Row) -> dict[str, Any]:
    """The figures both CSVs share, by column header."""
    return {
        "requests": row.count("requests"),
        "failures": row.count("failures"),
        "median": row.number("median"),
        "avg": row.number("avg"),
        "min": row.number("min"),
        "max": row.number("max"),
        "rps": row.rate("rps"),
        "failures_per_s": row.rate("failures_per_s"),
        "percentiles": row.percentiles(),
    }


def read_history(prefix: Path | str) -> list[HistoryPoint]:
    """Snapshots from ``PREFIX_stats_history.csv``; empty when it is absent.

    Locust writes only the ``Aggregated`` row per snapshot unless it runs
    with ``--csv-full-history``.

    Raises:
        LoadError: the file exists but is malformed.
    """
    path = history_path(prefix)
    if not path.exists():
        return []

    return [
        HistoryPoint(
            timestamp=row.count("timestamp"),
            users=row.count("users"),
            key=_key(row.text("type"), row.text("name")),
            **_figures(row),
        )
        for row in _rows(path, _HISTORY_COLUMNS, allow_empty=True)
    ]


def _key(method: str, name: str) -> str:
    return f"{method} {name}" if method else name


@dataclass(frozen=True)
class _Row:
    path: Path
    line: int
    columns: Mapping[str, str]
    cells: dict[str, str]
    percentile_titles: tuple[str, ...]

    def text(self, key: str) -> str:
        return self.cells[self.columns[key]]

    def number(self, key: str) -> float | None:
        return self._parse(self.columns[key])

    def count(self, key: str) -> int:
        value = self.number(key)
        return int(value) if value is not None else 0

    def rate(self, key: str) -> float:
        value = self.number(key)
        return value if value is not None else 0.0

    def percentiles(self) -> dict[str, float | None]:
        return {title: self._parse(title) for title in self.percentile_titles}

    def _parse(self, title: str) -> float | None:
        text = self.cells[title]
        if text in _MISSING:
            return None
        try:
            return float(text)
        except ValueError:
            raise LoadError(
                f"{self.path}:{self.line}: {title} is {text!r}, not a number — "
                "the file is corrupt"
            ) from None


def _rows(
    path: Path, columns: Mapping[str, str], *, allow_empty: bool = False
) -> Iterator[_Row]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError(
            f"{path}: locust wrote no statistics — the run did not start or "
            "was killed; see locust's output"
        ) from None

    reader = csv.reader(text.splitlines())
    header = [title.strip() for title in next(reader, [])]
    if not any(header):
        raise LoadError(f"{path}: empty statistics file — locust recorded nothing")

    missing = [title for title in columns.values() if title not in header]
    if missing:
        raise LoadError(
            f"{path}: no column {missing[0]!r} — not a locust statistics file, "
            "or from an unsupported locust version"
        )
    percentile_titles = tuple(t for t in header if _PERCENTILE_COLUMN.match(t))

    found = False
    for line, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise LoadError(
                f"{path}:{line}: {len(cells)} cells under {len(header)} headers — "
                "the file is truncated or corrupt"
            )
        found = True
        yield _Row(
            path=path,
            line=line,
            columns=columns,
            cells={
                title: cell.strip() for title, cell in zip(header, cells, strict=True)
            },
            percentile_titles=percentile_titles,
        )

    if not found and not allow_empty:
        raise LoadError(f"{path}: no rows — locust recorded no requests")
