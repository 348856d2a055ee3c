"""What `cdh run` shows while stages run: a live table, or plain lines.

A live view (rich) is for people at a terminal. CI logs, pipes and files
get one plain line per event, the same lines every time, so they can be
grepped and diffed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

from harness.run import FAILED, PASSED, SKIPPED, StageResult

if TYPE_CHECKING:
    from rich.live import Live
    from rich.table import Table

_MARKS = {PASSED: "+", FAILED: "x", SKIPPED: "-"}


def write_line(stream: IO[str], text: str) -> None:
    """Write one line; a reader that went away (``| head``) stops no run."""
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        # Later writes go nowhere instead of failing the run part-way.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def wants_live_view(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """Live only on a terminal, and never under CI=true."""
    in_ci = environ.get("CI", "").lower() in ("1", "true", "yes")
    return stream.isatty() and not in_ci and environ.get("TERM") != "dumb"


class PlainProgress:
    """One line per stage event: ``> unit started``, ``+ unit passed in 0.7s: …``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def started(self, name: str) -> None:
        self._line(f"> {name:<14} started")

    def finished(self, result: StageResult) -> None:
        mark = _MARKS[result.status]
        if result.status == SKIPPED:
            self._line(f"{mark} {result.name:<14} skipped {result.reason}")
            return
        self._line(
            f"{mark} {result.name:<14} {result.status} in {result.seconds:.1f}s: "
            f"{result.reason}"
        )

    def note(self, text: str) -> None:
        self._line(text)

    def close(self) -> None:
        """Nothing to release; here for symmetry with :class:`LiveProgress`."""

    def _line(self, text: str) -> None:
        with self._lock:
            write_line(self.stream, text)


class LiveProgress:
    """A table of every stage, redrawn in place while the run goes on."""

    def __init__(self, stages: list[str], stream: IO[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        self._order = [*stages, "teardown"]
        self._state: dict[str, tuple[str, str, float]] = {
            name: ("waiting", "", 0.0) for name in self._order
        }
        self._started: dict[str, float] = {}
        self._notes: list[str] = []
        self._lock = threading.Lock()
        self._live: Live = Live(
            get_renderable=self._table,
            console=Console(file=stream),
            refresh_per_second=4,
            transient=False,
        )
        self._live.start()

    def started(self, name: str) -> None:
        with self._lock:
            self._started[name] = time.monotonic()
            self._state[name] = ("running", "", 0.0)

    def finished(self, result: StageResult) -> None:
        with self._lock:
            self._state[result.name] = (result.status, result.reason, result.seconds)

    def note(self, text: str) -> None:
        with self._lock:
            self._notes.append(text)

    def close(self) -> None:
        self._live.stop()

    def _table(self) -> Table:
        from rich.table import Table
        from rich.text import Text

        styles = {
            PASSED: "green",
            FAILED: "bold red",
            SKIPPED: "dim",
            "running": "cyan",
        }
        table = Table(box=None, show_edge=False, pad_edge=False)
        for column in ("stage", "status", "seconds", "detail"):
            table.add_column(column, justify="right" if column == "seconds" else "left")
        with self._lock:
            for name in self._order:
                status, reason, seconds = self._state[name]
                if status == "running":
                    seconds = time.monotonic() - self._started[name]
                shown = f"{seconds:.1f}" if status != "waiting" else ""
                # Text, not markup: stage details hold request names such as
                # "GET /orders/[id]" that markup would read as tags.
                table.add_row(
                    Text(name),
                    Text(status, style=styles.get(status, "")),
                    Text(shown),
                    Text(reason),
                )
            for text in self._notes:
                table.add_row("", Text(text, style="yellow"), "", "")
        return table


def make_progress(
    stages: list[str], stream: IO[str], environ: Mapping[str, str] | None = None
) -> PlainProgress | LiveProgress:
    """The view that suits ``stream``: live at a terminal, plain lines elsewhere."""
    if wants_live_view(stream, os.environ if environ is None else environ):
        return LiveProgress(stages, stream)
    return PlainProgress(stream)
