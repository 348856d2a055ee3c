"""Reaching tenant services from a runner outside the cluster.

Each :class:`PortForward` listens on a free 127.0.0.1 port and carries
every connection to one pod's port over the API server's port-forward
stream, like ``kubectl port-forward pod/NAME``. It follows the pod chosen
at deploy time; if that pod is replaced, new connections fail and the
stage reports it.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_CHUNK = 65536

Opener = Callable[[], Any]


def pump(left: Any, right: Any, stop: threading.Event | None = None) -> None:
    """Copy bytes both ways between two sockets until either side closes."""
    sockets = [left, right]
    while stop is None or not stop.is_set():
        readable, _, _ = select.select(sockets, [], [], 0.5)
        for source in readable:
            data = source.recv(_CHUNK)
            if not data:
                return
            (right if source is left else left).sendall(data)


class PortForward:
    """A loopback listener forwarding to ``pod:port`` in ``namespace``.

    Args:
        open_remote: returns a connected socket to the pod's port; the
            default opens a port-forward stream through ``core``.
    """

    def __init__(
        self,
        core: Any,
        namespace: str,
        pod: str,
        port: int,
        open_remote: Opener | None = None,
    ) -> None:
        self.namespace, self.pod, self.port = namespace, pod, port
        self._open = open_remote or (lambda: _stream_socket(core, namespace, pod, port))
        self._stop = threading.Event()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind((LOOPBACK, 0))
        self._server.listen(16)
        self._server.settimeout(0.5)
        self.local_port: int = self._server.getsockname()[1]
        self._thread = threading.Thread(
            target=self._serve, name=f"port-forward-{pod}", daemon=True
        )
        self._thread.start()
        log.info(
            "port-forward 127.0.0.1:%s -> %s/%s:%s",
            self.local_port,
            namespace,
            pod,
            port,
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.local_port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._carry, args=(conn,), daemon=True).start()

    def _carry(self, conn: socket.socket) -> None:
        try:
            remote = self._open()
        except Exception as error:  # the stream library raises many kinds
            log.warning("port-forward to %s failed: %s", self.pod, error)
            conn.close()
            return
        try:
            pump(conn, remote, self._stop)
        except OSError as error:
            log.debug("port-forward connection to %s ended: %s", self.pod, error)
        finally:
            conn.close()
            remote.close()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)
        log.info("port-forward to %s/%s closed", self.namespace, self.pod)


def _stream_socket(core: Any, namespace: str, pod: str, port: int) -> Any:
    from kubernetes.stream import portforward

    stream = portforward(
        core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port)
    )
    remote = stream.socket(port)
    remote.setblocking(True)
    return remote
