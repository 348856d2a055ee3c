"""``abort_on_fail``: stop a run as soon as a threshold fails while it runs.

Locust rewrites ``PREFIX_stats.csv`` every second. While the run goes on,
:class:`AbortWatch` is polled every couple of seconds; it reads that file
and judges the thresholds marked ``abort_on_fail`` whose ``delay`` has
passed. Only a measured failure aborts: too few samples or no data yet
means "keep going", since early in a run they are the normal state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from harness.errors import LoadError
from harness.load.gate import FAILED, Verdict, evaluate
from harness.load.stats import read_stats
from harness.thresholds import Threshold

log = logging.getLogger(__name__)


class AbortWatch:
    """The watch callback of a run with ``abort_on_fail`` thresholds.

    Args:
        thresholds: the stage's thresholds; only ``abort_on_fail`` ones count.
        csv_prefix: locust's ``--csv`` prefix.
        min_samples: requests needed before a figure is judged.
    """

    def __init__(
        self, thresholds: Iterable[Threshold], csv_prefix: Path, min_samples: int
    ) -> None:
        self.thresholds = [t for t in thresholds if t.abort_on_fail]
        self.csv_prefix = csv_prefix
        self.min_samples = min_samples
        self.verdict: Verdict | None = None
        self.after = 0.0

    def __bool__(self) -> bool:
        return bool(self.thresholds)

    def __call__(self, elapsed: float) -> str | None:
        due = [t for t in self.thresholds if elapsed >= t.abort_delay]
        if not due:
            return None
        try:
            stats = read_stats(self.csv_prefix)
        except LoadError:
            return None

        for verdict in evaluate(due, stats, min_samples=self.min_samples):
            if verdict.outcome == FAILED:
                self.verdict, self.after = verdict, elapsed
                log.warning("abort_on_fail after %.0fs: %s", elapsed, verdict)
                return f"aborted after {elapsed:.0f}s: {verdict}"
        return None
