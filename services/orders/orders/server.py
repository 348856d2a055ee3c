"""Serve a WSGI app until SIGTERM or SIGINT, then exit cleanly."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger(__name__)
access_log = logging.getLogger(f"{__package__}.access")


class _AccessLogHandler(WSGIRequestHandler):
    # werkzeug colours its access lines with ANSI codes; log files want text.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        access_log.info('%s "%s" %s', self.address_string(), self.requestline, code)


def configure_logging() -> None:
    """One timestamped line per record on stderr (idempotent)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )


def serve(app: Flask, name: str) -> int:
    """Bind ``HOST``/``PORT`` from the environment and serve ``app``.

    Returns:
        The process exit code: 0 after a signal-triggered shutdown, 1 when
        the address cannot be bound, 2 when ``PORT`` is not a number.
    """
    configure_logging()
    host = os.environ.get("HOST", "0.0.0.0")
    try:
        port = int(os.environ.get("PORT", "8080"))
    except ValueError:
        log.error(
            "PORT=%r is not a port number; set PORT to e.g. 8080", os.environ["PORT"]
        )
        return 2

    try:
        server = make_server(
            host, port, app, threaded=True, request_handler=_AccessLogHandler
        )
    except OSError as error:
        log.error("%s cannot listen on %s:%d: %s", name, host, port, error)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever() to return, so it must not run
        # on the main thread, which is the one serving.
        log.info("%s received %s, shutting down", name, signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    log.info("%s ready on http://%s:%d", name, host, server.server_port)
    sys.stderr.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log.info("%s stopped", name)
    return 0
