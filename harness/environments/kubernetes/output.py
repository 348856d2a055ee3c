"""Writing rendered manifests to a folder, for review and for GitOps.

A folder holds one render. Rendering again replaces it: every file an
earlier ``cdh render`` wrote there is overwritten or removed, so a service
dropped from the system leaves no stray manifest behind. Files the render
did not write (a ``kustomization.yaml``, a README) are left alone.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import yaml

from harness.environments.kubernetes import names
from harness.environments.kubernetes.tenant import Manifest
from harness.errors import HarnessError

log = logging.getLogger(__name__)

HEADER = "# Written by cdh render; rendering again replaces this file.\n"
_NUMBERED = re.compile(r"^\d{3}-.+\.yaml$")


class RenderError(HarnessError):
    """``cdh render`` cannot write its manifests where it was told to."""


def write_manifests(objects: list[Manifest], out_dir: Path) -> list[Path]:
    """Write one YAML file per object, numbered in apply order.

    Files of an earlier render in ``out_dir`` that this render does not
    write again are removed (see the module docstring). Secrets are written
    readable by their owner only; their values appear in no other file.

    Raises:
        RenderError: ``out_dir`` is not a folder, or cannot be written.
    """
    _make_folder(out_dir)
    earlier = previous_manifests(out_dir)
    written = []
    for index, obj in enumerate(objects, start=1):
        meta = obj["metadata"]
        scope = meta.get("namespace", "cluster")
        path = (
            out_dir / f"{index:03d}-{scope}-{obj['kind'].lower()}-{meta['name']}.yaml"
        )
        text = HEADER + yaml.dump(obj, Dumper=_PlainDumper, sort_keys=False)
        try:
            if obj["kind"] == "Secret":
                path.touch(mode=0o600)
                path.chmod(0o600)
            path.write_text(text)
        except OSError as error:
            raise _cannot_write(path, error) from None
        written.append(path)

    for path in sorted(set(earlier) - set(written)):
        try:
            path.unlink()
        except OSError as error:
            raise _cannot_write(path, error) from None
        log.info("removed %s of an earlier render", path)
    return written


def previous_manifests(out_dir: Path) -> list[Path]:
    """The files in ``out_dir`` that an earlier ``cdh render`` wrote.

    Recognised by their first line, or, for renders older than that line,
    by a numbered name and the harness's ``managed-by`` label.
    """
    try:
        entries = list(out_dir.iterdir())
    except OSError:
        return []
    return sorted(
        path
        for path in entries
        if _NUMBERED.match(path.name) and path.is_file() and _rendered(path)
    )


def _rendered(path: Path) -> bool:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    if text.startswith(HEADER):
        return True
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return isinstance(labels, dict) and labels.get(names.MANAGED_BY) == names.MANAGER


def _make_folder(out_dir: Path) -> None:
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise RenderError(
                f"--out {out_dir} is a file, not a folder — pass a folder (it "
                "is created when missing), or move the file away"
            )
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RenderError(
            f"cannot create the --out folder {out_dir} ({error.strerror}) — "
            "pass a folder you can write to"
        ) from None


def _cannot_write(path: Path, error: OSError) -> RenderError:
    return RenderError(
        f"cannot write {path} ({error.strerror}) — make {path.parent} writable, "
        "or pass another --out folder"
    )


class _PlainDumper(yaml.SafeDumper):
    """Writes shared dicts out in full: no ``&id001`` anchors in manifests."""

    def ignore_aliases(self, data: object) -> bool:
        return True
