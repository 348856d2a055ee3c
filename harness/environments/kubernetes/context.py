"""Build contexts packed the way kaniko reads them.

:func:`pack_context` makes a gzipped tarball with the Dockerfile at its
root, leaving out what ``.dockerignore`` excludes. The bytes depend only on
the files' paths, contents and executable bits: no timestamps, owners or
walk order leak in, so the same tree always gives the same archive (and
kaniko's layer cache keeps hitting).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from harness.errors import EnvironmentError_

DOCKERFILE = "Dockerfile"
IGNORE_FILE = ".dockerignore"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    keep: bool  # a '!' exception


class DockerIgnore:
    """The rules of a ``.dockerignore`` file, Docker's way.

    Patterns are relative to the context root; ``*`` and ``?`` stay within
    one path part, ``**`` spans any number of parts, a leading ``!`` re-
    includes, and the last matching rule wins. A pattern matching a folder
    excludes everything below it.
    """

    def __init__(self, lines: list[str]) -> None:
        self.rules: list[_Rule] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keep = line.startswith("!")
            line = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            if line in ("", "."):
                continue
            self.rules.append(_Rule(re.compile(_translate(line)), keep))

    @classmethod
    def read(cls, root: Path) -> DockerIgnore:
        path = root / IGNORE_FILE
        return cls(path.read_text().splitlines() if path.is_file() else [])

    def excluded(self, relative: str) -> bool:
        """Whether the path (``a/b/c``, relative to the root) is left out."""
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for rule in self.rules:
            if any(rule.pattern.fullmatch(p) for p in prefixes):
                verdict = not rule.keep
        return verdict


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append(
                    "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                )
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def context_files(root: Path) -> list[str]:
    """The files and folders that go into the context, sorted, relative."""
    ignore = DockerIgnore.read(root)
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        kept_dirs = []
        for name in sorted(dirs):
            relative = name if base == "." else f"{base}/{name}"
            # A folder stays walked when an exception could re-include below it.
            if not ignore.excluded(relative) or any(r.keep for r in ignore.rules):
                kept_dirs.append(name)
                if not ignore.excluded(relative):
                    found.append(relative)
        dirs[:] = kept_dirs
        for name in files:
            relative = name if base == "." else f"{base}/{name}"
            if relative == DOCKERFILE or not ignore.excluded(relative):
                found.append(relative)
    return sorted(found)


def pack_context(root: Path, dockerfile: str = DOCKERFILE) -> bytes:
    """The build context under ``root`` as deterministic ``tar.gz`` bytes.

    Raises:
        EnvironmentError_: there is no Dockerfile at the root.
    """
    if not (root / dockerfile).is_file():
        raise EnvironmentError_(
            f"{root}: no {dockerfile} at the root of the build context — "
            "kaniko builds from the Dockerfile at the context's root; add one"
        )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for relative in context_files(root):
            _add(tar, root / relative, relative)
    packed = io.BytesIO()
    # mtime=0 and no file name: the gzip header carries nothing variable.
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as archive:
        archive.write(raw.getvalue())
    return packed.getvalue()


def _add(tar: tarfile.TarFile, path: Path, name: str) -> None:
    info = tarfile.TarInfo(name)
    status = path.lstat()
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if stat.S_ISLNK(status.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        info.mode = 0o777
        tar.addfile(info)
    elif stat.S_ISDIR(status.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    elif stat.S_ISREG(status.st_mode):
        info.mode = 0o755 if status.st_mode & stat.S_IXUSR else 0o644
        data = path.read_bytes()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
