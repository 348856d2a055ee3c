"""Service log lines placed beside the failing test that caused them."""

from __future__ import annotations

from datetime import datetime

from harness.report.failures import MAX_LINES, _around


def stamp(second: float) -> str:
    moment = datetime.fromtimestamp(1_800_000_000 + second)
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def test_lines_nearest_the_test_win_over_later_traffic() -> None:
    during = [f"{stamp(0.2)} access GET /products/424242 404"]
    later = [f"{stamp(1.0 + i / 100)} access GET /load {i}" for i in range(60)]

    picked = _around(during + later, 1_800_000_000.0, 0.5)

    assert picked[0] == during[0]
    assert len(picked) == MAX_LINES
    assert picked == sorted(picked)  # still in the order they were written


def test_milliseconds_in_log_stamps_count() -> None:
    # The window is 0.5s to 4.6s; read as whole seconds, 4.7s would be 4s.
    lines = [f"{stamp(1.0)} inside", f"{stamp(4.7)} just after"]

    picked = _around(lines, 1_800_000_002.5, 0.1)

    assert picked == [lines[0]]
