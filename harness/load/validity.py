"""Validity before verdict: was the load generator able to do its job?

A run whose figures cannot be trusted is *invalid*: its stage fails with
the reason, whatever the thresholds say. A run is invalid when

- locust warned that its CPU was saturated (a generator at 90%+ CPU
  measures its own queueing, not the service's response times),
- a target rate was configured and the run reached less than
  :data:`RATE_FLOOR` of it,
- an expected worker never connected, or one went missing mid-run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from harness.load.stats import RequestStats
from harness.thresholds import AGGREGATE

RATE_FLOOR = 0.9
"""The share of a configured target rate a valid run reaches."""

# Locust's own words (locust/runners.py): the local runner's warning while
# running and at the end, and the master's about its workers.
_CPU = re.compile(
    r"CPU usage above \d+%|CPU usage was too high|CPU usage threshold was "
    r"exceeded on workers|exceeded cpu threshold"
)
_GAVE_UP = "Gave up waiting for workers to connect"
_CONNECTED = re.compile(r"Waiting for workers to be ready, (\d+) of (\d+) connected")
_MISSING = re.compile(r"Worker \S+ failed to send heartbeat, setting state to missing")


def invalid_reasons(
    output: str,
    stats: Mapping[str, RequestStats],
    *,
    target_rps: float | None = None,
    workers: int = 0,
) -> list[str]:
    """Why a run is invalid; empty when it is valid.

    Args:
        output: locust's stderr (master and workers).
        stats: the run's figures; may be empty when locust wrote none.
        target_rps: the rate the stage means to reach, if it set one.
        workers: the local workers the run expected.
    """
    reasons = []
    if _CPU.search(output):
        reasons.append(
            "the load generator's CPU was saturated (locust warned of CPU usage "
            "above 90%) — its response times are not trustworthy; use workers: N "
            "or fewer users"
        )
    if workers and _GAVE_UP in output:
        seen = [int(m.group(1)) for m in _CONNECTED.finditer(output)]
        connected = max(seen) if seen else 0
        reasons.append(
            f"expected {workers} locust workers, only {connected} connected — see "
            "the worker logs beside the CSV files"
        )
    if _MISSING.search(output):
        reasons.append("a locust worker went missing during the run")
    total = stats.get(AGGREGATE)
    if target_rps and total is not None and total.rps < RATE_FLOOR * target_rps:
        reasons.append(
            f"reached {total.rps:.1f} rps, under {RATE_FLOOR:.0%} of the target "
            f"rate {target_rps:g} rps — the generator or the users' wait time "
            "held it back"
        )
    return reasons
