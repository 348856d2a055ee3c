"""Shared helpers of the contract tests: pact documents and socket tables."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import requests


def interaction(
    description: str,
    path: str,
    status: int = 200,
    body: Any = None,
    *,
    states: list[str] | None = None,
    method: str = "GET",
) -> dict[str, Any]:
    """A v3 HTTP interaction answering ``path`` with ``status`` and ``body``."""
    response: dict[str, Any] = {"status": status}
    if body is not None:
        response["headers"] = {"Content-Type": "application/json"}
        response["body"] = body
    made: dict[str, Any] = {
        "description": description,
        "request": {"method": method, "path": path},
        "response": response,
    }
    if states:
        made["providerStates"] = [{"name": s} for s in states]
    return made


def write_pact(
    folder: Path,
    consumer: str,
    provider: str,
    interactions: list[dict[str, Any]],
    *,
    version: str = "3.0.0",
    name: str | None = None,
    **extra: Any,
) -> Path:
    """Write a pact file the way a consumer test would."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": interactions,
        "metadata": {"pactSpecification": {"version": version}},
        **extra,
    }
    path = folder / (name or f"{consumer}-{provider}.json")
    path.write_text(json.dumps(document, indent=2))
    return path


def loopback_session() -> requests.Session:
    """A requests session that ignores proxy settings (loopback only)."""
    session = requests.Session()
    session.trust_env = False
    return session


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket process ``pid`` listens on.

    Reads /proc: the process's socket inodes from its fd table, matched
    against the kernel's TCP tables (IPv4 and IPv6).
    """
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        found = re.fullmatch(r"socket:\[(\d+)\]", target)
        if found:
            inodes.add(found.group(1))

    listening = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A is TCP_LISTEN
                continue
            address, port = local.split(":")
            listening.add((_address(address, family), int(port, 16)))
    return listening


def _address(hexed: str, family: int) -> str:
    raw = bytes.fromhex(hexed)
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, words)
