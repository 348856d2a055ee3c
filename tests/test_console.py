"""The run's progress view: live at a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from harness.console import LiveProgress, PlainProgress, wants_live_view
from harness.run import FAILED, PASSED, SKIPPED, StageResult


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_view_only_at_a_terminal_outside_ci() -> None:
    assert wants_live_view(Terminal(), {"TERM": "xterm"})
    assert not wants_live_view(Terminal(), {"CI": "true", "TERM": "xterm"})
    assert not wants_live_view(io.StringIO(), {"TERM": "xterm"})
    assert not wants_live_view(Terminal(), {"TERM": "dumb"})


def test_plain_progress_prints_one_line_per_event() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream)

    progress.started("unit")
    progress.finished(StageResult("unit", PASSED, "3 passed", seconds=1.25))
    progress.finished(StageResult("api", SKIPPED, "because unit did not pass"))

    assert stream.getvalue().splitlines() == [
        "> unit           started",
        "+ unit           passed in 1.2s: 3 passed",
        "- api            skipped because unit did not pass",
    ]


def test_live_progress_shows_every_stage_and_its_outcome() -> None:
    stream = Terminal()
    progress = LiveProgress(["unit", "api"], stream)

    progress.started("unit")
    progress.finished(StageResult("unit", FAILED, "1 of 3 tests failed", seconds=2.0))
    progress.finished(StageResult("api", SKIPPED, "because unit did not pass"))
    progress.close()

    screen = stream.getvalue()
    assert "1 of 3 tests failed" in screen
    assert "because unit did not pass" in screen
    assert "teardown" in screen


def test_live_progress_shows_request_names_that_look_like_markup() -> None:
    stream = Terminal()
    progress = LiveProgress(["load"], stream)

    progress.finished(
        StageResult("load", FAILED, "p95[GET /shop/orders/[id]] < 1ms: measured 3ms")
    )
    progress.close()

    assert "p95[GET /shop/orders/[id]] < 1ms" in stream.getvalue()
