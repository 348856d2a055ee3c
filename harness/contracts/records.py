"""The local contract store's record files: names, reads and atomic writes.

Each record is a small JSON object written whole to a temporary file and
moved into place, so a concurrent reader sees the old or the new record,
never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.errors import ContractError


def safe(name: str) -> str:
    """``name`` as one path segment (percent-encoded; ``_`` when empty)."""
    return quote(name, safe="") or "_"


def read(path: Path) -> dict[str, Any] | None:
    """The record at ``path``, or None when there is none.

    Raises:
        ContractError: the record is not a JSON object.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"{path}:{exc.lineno}: the contract store's record is not valid JSON "
            "— delete it and publish again"
        ) from None
    if not isinstance(data, dict):
        raise ContractError(f"{path}: the contract store's record is not an object")
    return data


def write(path: Path, data: dict[str, Any]) -> None:
    """Replace the record at ``path`` with ``data`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".cdh-tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
