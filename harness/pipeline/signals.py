"""Holding Ctrl-C and SIGTERM while the harness cleans up.

After the first interrupt the runner must stop stages, tear the environment
down and write its reports. A second or third Ctrl-C must not cut that
short, or services would outlive the run; it is noted and ignored.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)

_HELD = (signal.SIGINT, signal.SIGTERM)


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """A handler that makes SIGTERM (or SIGINT) take Ctrl-C's path."""
    raise KeyboardInterrupt


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Inside the block, SIGINT and SIGTERM raise KeyboardInterrupt.

    Set explicitly: a shell that starts a program in the background hands it
    SIGINT ignored, and SIGTERM would otherwise end the process with its
    clean-up undone. The previous handlers come back, while signals are held.
    """
    previous = {signum: signal.signal(signum, raise_interrupt) for signum in _HELD}
    try:
        yield
    finally:
        with signals_held():
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _note(signum: int, frame: FrameType | None) -> None:
    log.warning("signal %s during clean-up: finishing clean-up first", signum)


@contextmanager
def signals_held() -> Iterator[None]:
    """Ignore (log) SIGINT and SIGTERM inside the block; main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _note) for signum in _HELD}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
