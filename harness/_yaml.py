"""YAML read as a tree of nodes, so that every error can name its line.

:func:`read_document` composes a file with the safe loader (no Python
objects are built) and rejects duplicate keys, which YAML itself accepts
silently. :class:`Entry` wraps one node with the file it came from and its
dotted place in the document (``stages.load.users``), and turns it into
plain values, raising :class:`~harness.errors.ConfigError` with the node's
line when the value has the wrong shape.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import ConfigError
from harness.thresholds import ThresholdSyntaxError, parse_duration

_TAG = "tag:yaml.org,2002:"
_CRON_PART = re.compile(r"^(\*|\d+|\d+-\d+)(?:/(\d+))?$")
_CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_KINDS = {"int": "the integer", "float": "the number", "bool": "the boolean"}


def suggest(word: str, choices: Iterable[str], *, list_all: bool = False) -> str:
    """A fix naming the closest choice, or listing them all.

    Args:
        word: what the user wrote.
        choices: what they could have written.
        list_all: list the choices even when one is close.
    """
    options = list(choices)
    listed = ", ".join(options) or "(none defined)"
    close = difflib.get_close_matches(word, options, n=1)
    if not close:
        return f"use one of: {listed}"
    if list_all:
        return f"did you mean {close[0]!r}? (one of: {listed})"
    return f"did you mean {close[0]!r}?"


def read_document(path: Path, source: str) -> Entry | None:
    """The root of the YAML document in ``path``; None when it is empty.

    Args:
        path: the file to read.
        source: the file as the user wrote it, used in messages.

    Raises:
        ConfigError: the file is missing, unreadable, not YAML, or repeats
            a key within one mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source, None, "no such file", "check the path and the working folder"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            source, None, f"not UTF-8 text ({error.reason})", "save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(
            source, None, f"cannot read the file ({error.strerror})", "check the path"
        ) from None

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _check_mappings(root, source, set())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = str(error.problem or error.context)
        if problem.startswith("but ") and error.context:
            problem = f"{error.context}, {problem}"  # e.g. a second document
        problem = " ".join(problem.split())
        column = f" (column {mark.column + 1})" if mark else ""
        raise ConfigError(
            source,
            mark.line + 1 if mark else None,
            f"YAML syntax error: {problem}{column}",
            "check indentation and quote values holding ': ', '#', '*' or '{'",
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(
            source, None, f"not YAML ({' '.join(str(error).split())})", "fix the file"
        ) from None
    return None if root is None else Entry(root, source, "")


def _check_mappings(node: Node, source: str, seen: set[int]) -> None:
    # Aliases share node objects, and a recursive alias would loop forever.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for item in node.value:
            _check_mappings(item, source, seen)
    if not isinstance(node, MappingNode):
        return

    first: dict[Any, int] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.tag != _TAG + "merge":
            line = key.start_mark.line + 1
            if key.value in first:
                raise ConfigError(
                    source,
                    line,
                    f"duplicate key {key.value!r} (first at line {first[key.value]})",
                    "YAML would silently keep only the last one; remove or "
                    "rename one of them",
                )
            first[key.value] = line
        _check_mappings(value, source, seen)
    SafeConstructor().flatten_mapping(node)  # resolve `<<: *anchor` merges


class Entry:
    """One node of a document, with where it is for error messages.

    Args:
        node: the YAML node.
        source: the file as the user wrote it.
        where: the dotted place in the document, empty at the top.
    """

    def __init__(
        self, node: Node, source: str, where: str, key: Node | None = None
    ) -> None:
        self.node = node
        self.source = source
        self.where = where
        self.key = key

    @property
    def line(self) -> int:
        """The line of the value."""
        return int(self.node.start_mark.line) + 1

    @property
    def key_line(self) -> int:
        """The line of the key this value belongs to, if any."""
        node = self.key or self.node
        return int(node.start_mark.line) + 1

    @property
    def name(self) -> str:
        """The place in the document, for messages."""
        return self.where or "the top level"

    def error(self, problem: str, fix: str = "") -> ConfigError:
        """A :class:`ConfigError` pointing at this node's line."""
        return ConfigError(self.source, self.line, problem, fix)

    def key_error(self, problem: str, fix: str = "") -> ConfigError:
        """A :class:`ConfigError` pointing at the line of this value's key."""
        return ConfigError(self.source, self.key_line, problem, fix)

    def missing(self, key: str, fix: str = "") -> ConfigError:
        """The error for a required ``key`` absent from this mapping."""
        return self.key_error(
            f"{self.name} is missing the required key {key!r}",
            fix or f"add {key}: to {self.name}",
        )

    def wrong_type(self, expected: str, fix: str = "") -> ConfigError:
        return self.error(f"{self.name} must be {expected}, got {self.shown}", fix)

    @property
    def shown(self) -> str:
        """The node as a message shows it, e.g. ``the text 'many'``."""
        if isinstance(self.node, MappingNode):
            return "a mapping"
        if isinstance(self.node, SequenceNode):
            return "a list"
        kind = self.node.tag.removeprefix(_TAG)
        if kind == "null":
            return "nothing"
        if kind == "str":
            return f"the text {self.node.value!r}"
        return f"{_KINDS.get(kind, 'the ' + kind)} {self.node.value}"

    def mapping(
        self,
        allowed: Collection[str] | None = None,
        required: Iterable[str] = (),
        *,
        expected: str = "a mapping",
        fix: str = "",
    ) -> dict[str, Entry]:
        """The mapping's entries, keyed by their (string) keys, in file order.

        Args:
            allowed: the keys that may appear; None allows any.
            required: keys that must appear.
            expected: what the message says the node should be.
            fix: what the message suggests when the node is no mapping.
        """
        if not isinstance(self.node, MappingNode):
            raise self.wrong_type(expected, fix)

        entries: dict[str, Entry] = {}
        for key_node, value_node in self.node.value:
            key = Entry(key_node, self.source, self.where)
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _TAG + "str"):
                raise key.error(
                    f"keys in {self.name} must be text, got {key.shown}",
                    "quote the key",
                )
            if allowed is not None and key_node.value not in allowed:
                raise key.error(
                    f"unknown key {key_node.value!r} in {self.name}",
                    suggest(key_node.value, allowed),
                )
            where = f"{self.where}.{key_node.value}" if self.where else key_node.value
            entries[key_node.value] = Entry(value_node, self.source, where, key_node)

        for name in required:
            if name not in entries:
                raise self.missing(name)
        return entries

    def items(self, expected: str = "a list", fix: str = "") -> list[Entry]:
        if not isinstance(self.node, SequenceNode):
            fix = fix or "write [a, b] or one '- item' per line"
            if isinstance(self.node, ScalarNode) and self.node.tag != _TAG + "null":
                fix = f"write [{self.node.value}]"
            raise self.wrong_type(expected, fix)
        return [
            Entry(node, self.source, f"{self.where}[{index}]")
            for index, node in enumerate(self.node.value)
        ]

    def _scalar(self) -> Any:
        if not isinstance(self.node, ScalarNode):
            return None
        try:
            return SafeConstructor().construct_object(self.node)
        except (yaml.YAMLError, ValueError):
            raise self.error(
                f"{self.name}: {self.node.value!r} is not a valid "
                f"{self.node.tag.replace(_TAG, '!!')}",
                "drop the explicit tag",
            ) from None

    def text(self, fix: str = "") -> str:
        """A non-empty string."""
        value = self._scalar()
        if not isinstance(value, str) or not value.strip():
            raise self.wrong_type("non-empty text", fix)
        return value

    def texts(self, fix: str = "") -> tuple[str, ...]:
        """A list of non-empty strings."""
        return tuple(item.text(fix) for item in self.items("a list of text"))

    def as_text(self) -> str:
        """Any scalar but null, as the characters the user wrote.

        ``yes`` stays ``yes`` and ``0755`` stays ``0755``, which is what
        someone writing an environment variable or an argument means.
        """
        if not isinstance(self.node, ScalarNode) or self.node.tag == _TAG + "null":
            raise self.wrong_type("text", 'quote the value; write "" for empty')
        return str(self.node.value)

    def integer(self, low: int, high: int | None = None, fix: str = "") -> int:
        value = self._scalar()
        if isinstance(value, int) and not isinstance(value, bool):
            if low <= value and (high is None or value <= high):
                return value
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise self.wrong_type(f"a whole number {bounds}", fix)

    def positive_number(self, fix: str = "") -> float:
        value = self._scalar()
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value < math.inf
        ):
            raise self.wrong_type("a finite number above 0", fix)
        return float(value)

    def boolean(self) -> bool:
        value = self._scalar()
        if not isinstance(value, bool):
            raise self.wrong_type("true or false")
        return value

    def names(self, known: Collection[str], kind: str) -> tuple[str, ...]:
        """A list of names, each one of ``known`` (e.g. a stage's needs)."""
        names = []
        for item in self.items(f"a list of {kind} names"):
            name = item.text()
            if name not in known:
                raise item.error(
                    f"{self.name}: unknown {kind} {name!r}", suggest(name, known)
                )
            names.append(name)
        return tuple(names)

    def duration(self) -> float:
        """Seconds in a duration such as ``30s``, ``2m`` or ``500ms``."""
        value = self._scalar()
        try:
            if isinstance(value, (str, int, float)):
                return parse_duration(value)
        except ThresholdSyntaxError:
            pass
        raise self.wrong_type("a positive duration", "write e.g. 500ms, 30s, 2m or 1h")

    def cron(self) -> str:
        """A five-field cron expression such as ``0 2 * * *``.

        Each field takes ``*``, a number, a range ``a-b``, lists and ``/step``;
        month and weekday names are not accepted.
        """
        text = self.text()
        fields = text.split()
        if len(fields) != 5:
            raise self.error(
                f"{self.name}: {text!r} has {len(fields)} fields, cron takes 5",
                "write minute hour day-of-month month day-of-week, e.g. '0 2 * * *'",
            )
        for field, (what, low, high) in zip(fields, _CRON_FIELDS, strict=True):
            if not all(_cron_part_ok(part, low, high) for part in field.split(",")):
                raise self.error(
                    f"{self.name}: {field!r} is not a valid {what} field in {text!r}",
                    f"use *, {low}-{high}, a range a-b, a list a,b or a step /n",
                )
        return text


def _cron_part_ok(part: str, low: int, high: int) -> bool:
    match = _CRON_PART.match(part)
    if not match or (match[2] is not None and int(match[2]) < 1):
        return False
    return all(low <= int(n) <= high for n in re.findall(r"\d+", match[1]))


def check_cycles(kind: str, entries: Mapping[str, Entry]) -> None:
    """Reject a cycle in the ``needs:`` of ``entries``, naming it: a → b → a.

    Args:
        kind: what the entries are, e.g. ``stage``.
        entries: name → mapping whose ``needs`` names were already checked.
    """
    needs: dict[str, list[Entry]] = {}
    for name, entry in entries.items():
        found = entry.mapping().get("needs")
        needs[name] = found.items() if found else []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        for item in needs[name]:
            target = item.text()
            if target in trail:
                cycle = " → ".join([*trail[trail.index(target) :], target])
                raise item.error(
                    f"the {kind}s' needs form a cycle: {cycle}",
                    "remove one of these needs",
                )
            if target not in done:
                visit(target, [*trail, target])
        done.add(name)

    for name in needs:
        if name not in done:
            visit(name, [name])
