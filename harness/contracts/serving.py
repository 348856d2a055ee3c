"""Serving a WSGI app in-process on loopback, for provider verification.

A provider verified in the same process as its tests lets provider-state
callables reach into the app (its store, its config) directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# How often in-process servers look for a shutdown request.
POLL_SECONDS = 0.05

WSGIApp = Callable[..., Any]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("provider: " + format, *args)


@contextmanager
def serve_wsgi(app: WSGIApp, host: str = LOOPBACK) -> Iterator[str]:
    """Serve a WSGI ``app`` on a free port of ``host`` in a thread.

    For running a provider in-process during verification, so that
    provider-state callables can reach into the app (its store, its config).

    Yields:
        The base URL, e.g. ``http://127.0.0.1:40123``.
    """
    server = make_server(
        host, 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        args=(POLL_SECONDS,),
        name=f"provider@{host}",
        daemon=True,
    )
    thread.start()
    url = f"http://{host}:{server.server_port}"
    log.info("serving provider app at %s", url)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
