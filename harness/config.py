"""Load ``system.yaml`` and pipeline files into :mod:`harness.model` objects.

Both files are read as YAML nodes rather than plain dicts, so every mistake
becomes one :class:`~harness.errors.ConfigError` line,
``file:line: what is wrong — what would fix it``, pointing at the value
that is wrong. Everything is checked before anything runs: names that refer
to other services or stages, cycles in ``needs``, folders and locustfiles
that must exist, durations, thresholds and cron expressions.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from harness._yaml import Entry, check_cycles, read_document, suggest
from harness.errors import ConfigError
from harness.layers import LAYER_NAMES, Layer
from harness.load.shape import parse_shape
from harness.model import (
    LoadSettings,
    Pipeline,
    Schedule,
    Service,
    Stage,
    System,
    TestGate,
)
from harness.thresholds import Threshold, ThresholdSyntaxError, parse_threshold

__all__ = [
    "ACTIONS",
    "ENVIRONMENTS",
    "find_pipeline_files",
    "load_pipeline",
    "load_system",
]

logger = logging.getLogger(__name__)

ENVIRONMENTS = ("local", "kubernetes")
ACTIONS = ("deploy",)

_SERVICE_KEYS = ("path", "run", "port", "health", "needs", "env", "startup_timeout")
_PIPELINE_KEYS = ("system", "environment", "name", "stages", "schedules")
_TEST_KEYS = ("paths", "pytest_args", "allow_empty", "gate")
_LOAD_KEYS = (
    "locustfile",
    "target",
    "users",
    "spawn_rate",
    "duration",
    "min_samples",
    "target_rps",
    "workers",
    "shape",
)
_STAGE_KEYS = ("layer", "action", "needs", "timeout", *_TEST_KEYS, *_LOAD_KEYS)

# Service names become Kubernetes object names: RFC 1123 labels.
_SERVICE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Stage and pipeline names become file names in the run folder.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)(\}?)")

_T = TypeVar("_T")


def find_pipeline_files(root: Path) -> list[Path]:
    """The pipeline files of a repository: ``pipelines/*.yaml`` and ``*.yml``.

    Args:
        root: the repository's root folder.

    Returns:
        The files sorted by name; empty when there is no ``pipelines`` folder.
    """
    folder = root / "pipelines"
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml") and path.is_file()
    )


def load_system(path: Path) -> System:
    """Read and check a system file such as ``system.yaml``.

    Args:
        path: the file; service paths in it are relative to its folder.

    Raises:
        ConfigError: the file is missing or wrong, with the line to fix.
    """
    return _load_system(path, str(path))


def load_pipeline(path: Path, *, environment: str | None = None) -> Pipeline:
    """Read and check a pipeline file and the system file it names.

    Args:
        path: the pipeline file; its ``system:`` is relative to its folder.
        environment: the backend to use instead of the file's
            ``environment:`` (``local`` or ``kubernetes``).

    Raises:
        ConfigError: either file is missing or wrong, with the line to fix.
    """
    source = str(path)
    if environment is not None and environment not in ENVIRONMENTS:
        raise ConfigError(
            source,
            None,
            f"unknown environment {environment!r} requested",
            suggest(environment, ENVIRONMENTS, list_all=True),
        )
    fields = _top_level(path, source, "stages").mapping(
        _PIPELINE_KEYS, ("system", "stages"), expected="a mapping with stages:"
    )

    name = path.stem
    if "name" in fields:
        name = _file_name(fields["name"], fields["name"].text(), "pipeline")
    from_file = _optional(fields, "environment", _environment, "local")
    system = _system_of(fields["system"], path)
    stages = _stages(fields["stages"], system)
    schedules = _optional(fields, "schedules", lambda e: _schedules(e, stages), None)

    logger.debug("loaded pipeline %s from %s: %d stages", name, path, len(stages))
    return Pipeline(
        source=path.resolve(),
        name=name,
        system=system,
        environment=environment or from_file,
        stages=stages,
        schedules=schedules or {},
    )


def _top_level(path: Path, source: str, main_key: str) -> Entry:
    root = read_document(path, source)
    if root is None:
        raise ConfigError(
            source, None, "the file is empty", f"start it with {main_key}:"
        )
    return root


def _optional(
    fields: Mapping[str, Entry], key: str, read: Callable[[Entry], _T], default: _T
) -> _T:
    entry = fields.get(key)
    return default if entry is None else read(entry)


def _file_name(entry: Entry, name: str, kind: str) -> str:
    if not _FILE_NAME.match(name):
        raise entry.key_error(
            f"{kind} name {name!r} has characters a file name cannot take",
            "use letters, digits, '-', '_' and '.', starting with a letter or digit",
        )
    return name


def _environment(entry: Entry) -> str:
    value = entry.text()
    if value not in ENVIRONMENTS:
        raise entry.error(
            f"unknown environment {value!r}",
            suggest(value, ENVIRONMENTS, list_all=True),
        )
    return value


# --- the system file -------------------------------------------------------


def _load_system(path: Path, source: str) -> System:
    fields = _top_level(path, source, "services").mapping(
        ("services", "kubernetes"), ("services",), expected="a mapping with services:"
    )
    listed = fields["services"]
    entries = listed.mapping(expected="a mapping of service name to service")
    if not entries:
        raise listed.error("services is empty", "define at least one service")

    services = {
        name: _service(name, entry, path.parent, entries)
        for name, entry in entries.items()
    }
    check_cycles("service", entries)
    return System(source=path.resolve(), services=services)


def _service(name: str, entry: Entry, base: Path, names: Collection[str]) -> Service:
    if not _SERVICE_NAME.match(name):
        raise entry.key_error(
            f"service name {name!r} is not a lowercase DNS label",
            "use at most 63 lowercase letters, digits and '-', starting and "
            "ending with a letter or digit (it becomes a Kubernetes name)",
        )
    fields = entry.mapping(
        _SERVICE_KEYS, ("path", "run"), expected="a mapping with path: and run:"
    )

    written = fields["path"].text()
    path = (base / written).resolve()
    if not path.is_dir():
        raise fields["path"].error(
            f"{fields['path'].name}: folder {written!r} not found (looked for {path})",
            "create it or fix the path; it is relative to the system file",
        )
    run = tuple(item.as_text() for item in fields["run"].items("a list of arguments"))
    if not run:
        raise fields["run"].error(
            f"{fields['run'].name} is empty",
            f"give the command, e.g. [python, -m, {name}]",
        )
    health = _optional(fields, "health", Entry.text, "/health")
    if not health.startswith("/"):
        raise fields["health"].error(
            f"{fields['health'].name} {health!r} does not start with '/'",
            f"write the path of the health check, e.g. /{health.lstrip('/')}",
        )

    no_needs: tuple[str, ...] = ()
    needs = _optional(fields, "needs", lambda e: e.names(names, "service"), no_needs)
    return Service(
        name=name,
        path=path,
        run=run,
        port=_optional(fields, "port", lambda e: e.integer(1, 65535), 8080),
        health=health,
        needs=needs,
        env=_optional(fields, "env", lambda e: _env(e, names, name, needs), {}),
        startup_timeout=_optional(fields, "startup_timeout", Entry.duration, 30.0),
    )


def _env(
    entry: Entry, services: Collection[str], owner: str, needs: Collection[str]
) -> dict[str, str]:
    env: dict[str, str] = {}
    for key, value in entry.mapping(expected="a mapping of variable to value").items():
        if not _ENV_NAME.match(key):
            raise value.key_error(
                f"{entry.name}: {key!r} is not an environment variable name",
                "use letters, digits and '_', not starting with a digit",
            )
        env[key] = value.as_text()
        _check_placeholders(value, env[key], services, owner, needs)
    return env


def _check_placeholders(
    entry: Entry,
    text: str,
    services: Collection[str],
    owner: str,
    needs: Collection[str],
) -> None:
    for match in _PLACEHOLDER.finditer(text):
        inner, closed = match.groups()
        if not closed:
            raise entry.error(
                f"{entry.name}: unclosed placeholder in {text!r}", "end it with '}'"
            )
        if inner == "data":
            continue
        service, dot, attribute = inner.partition(".")
        if not (dot and attribute == "url"):
            raise entry.error(
                f"{entry.name}: unknown placeholder ${{{inner}}}",
                "use ${<service>.url} or ${data}",
            )
        if service not in services:
            raise entry.error(
                f"{entry.name}: ${{{inner}}} names unknown service {service!r}",
                suggest(service, services),
            )
        if service not in needs:
            # Its URL exists only once it has started, and only needs: orders
            # the start-up.
            raise entry.error(
                f"{entry.name}: ${{{inner}}} but {owner} does not need {service}",
                f"add {service} to the needs: of {owner}",
            )


# --- the pipeline file -----------------------------------------------------


def _system_of(entry: Entry, pipeline: Path) -> System:
    written = entry.text()
    path = pipeline.parent / written
    if not path.is_file():
        raise entry.error(
            f"system file {written!r} not found (looked for {os.path.normpath(path)})",
            "fix the path; it is relative to the pipeline file",
        )
    return _load_system(path, os.path.normpath(path))


def _stages(entry: Entry, system: System) -> dict[str, Stage]:
    entries = entry.mapping(
        expected="a mapping of stage name to stage",
        fix="write one 'name: {layer: ...}' per stage",
    )
    if not entries:
        raise entry.error(
            "stages is empty", "define at least one stage, e.g. unit: {layer: unit}"
        )

    stages = {
        name: _stage(name, stage, entries, system) for name, stage in entries.items()
    }
    check_cycles("stage", entries)
    return stages


def _stage(name: str, entry: Entry, names: Collection[str], system: System) -> Stage:
    _file_name(entry, name, "stage")
    fields = entry.mapping(_STAGE_KEYS, expected="a mapping with layer: or action:")
    if ("layer" in fields) == ("action" in fields):
        has = "both" if "layer" in fields else "neither"
        raise entry.key_error(
            f"stage {name!r} has {has} of layer: and action:",
            "give a test stage layer: <layer>, or an action stage action: deploy",
        )
    no_needs: tuple[str, ...] = ()
    needs = _optional(fields, "needs", lambda e: e.names(names, "stage"), no_needs)
    timeout = _optional(fields, "timeout", Entry.duration, 600.0)

    if "action" in fields:
        action = fields["action"].text()
        if action not in ACTIONS:
            raise fields["action"].error(
                f"{fields['action'].name}: unknown action {action!r}",
                suggest(action, ACTIONS, list_all=True),
            )
        _only_for(fields, (*_TEST_KEYS, *_LOAD_KEYS), "test stages (layer: ...)")
        return Stage(name=name, needs=needs, action=action, timeout=timeout)

    layer = _layer(fields["layer"])
    if layer is not Layer.LOAD:
        _only_for(fields, _LOAD_KEYS, "load stages (layer: load)")
    common = Stage(
        name=name,
        needs=needs,
        layer=layer,
        paths=_paths(fields, system, layer),
        pytest_args=_optional(fields, "pytest_args", Entry.texts, ()),
        allow_empty=_optional(fields, "allow_empty", Entry.boolean, False),
        timeout=timeout,
    )
    if layer is Layer.LOAD:
        none: tuple[Threshold, ...] = ()
        thresholds = _optional(fields, "gate", _thresholds, none)
        load = _load_settings(entry, fields, system)
        if not thresholds:
            raise (fields["gate"] if "gate" in fields else entry).error(
                f"load stage {name!r} has no thresholds, so its gate could not fail",
                'add e.g. gate: ["p95 < 300ms", "error_rate < 1%"]',
            )
        return replace(common, thresholds=thresholds, load=load)
    gate = _optional(fields, "gate", lambda e: _test_gate(e, system), TestGate())
    return replace(common, gate=gate)


def _paths(
    fields: Mapping[str, Entry], system: System, layer: Layer
) -> tuple[str, ...]:
    if "paths" not in fields:
        return (f"suites/{layer.value}",)
    for item in fields["paths"].items("a list of test paths", "write [suites/...]"):
        written = item.text()
        if not (system.root / written.split("::")[0]).exists():
            raise item.error(
                f"{item.name}: {written!r} not found",
                "fix the path; it is relative to the folder of the system file",
            )
    return fields["paths"].texts()


def _layer(entry: Entry) -> Layer:
    value = entry.text()
    if value not in LAYER_NAMES:
        raise entry.error(
            f"{entry.name}: unknown layer {value!r}",
            suggest(value, LAYER_NAMES, list_all=True),
        )
    return Layer(value)


def _only_for(fields: Mapping[str, Entry], keys: Collection[str], kind: str) -> None:
    for key, entry in fields.items():
        if key in keys:
            stage = entry.where.rpartition(".")[0]
            raise entry.key_error(
                f"{key} is only valid on {kind}, not on {stage}", "remove it"
            )


def _test_gate(entry: Entry, system: System) -> TestGate:
    fields = entry.mapping(
        ("max_failures", "reruns", "coverage", "cover"),
        expected="a mapping like {max_failures: 0, reruns: 2}",
        fix="lists of thresholds are for load stages",
    )
    coverage = _optional(fields, "coverage", _percentage, None)
    if "cover" in fields and coverage is None:
        raise fields["cover"].key_error(
            "cover: names what coverage: measures", "add coverage: 80% or remove it"
        )
    services: tuple[str, ...] = ()
    if coverage is not None:
        services = tuple(str(s.path) for s in system.services.values())
    return TestGate(
        max_failures=_optional(fields, "max_failures", lambda e: e.integer(0), 0),
        reruns=_optional(fields, "reruns", lambda e: e.integer(0, 5), 0),
        coverage=coverage,
        cover=_optional(fields, "cover", lambda e: _existing(e, system), services),
    )


def _percentage(entry: Entry) -> float:
    written = entry.text()
    try:
        value = float(written.removesuffix("%"))
    except ValueError:
        value = -1.0
    if not written.endswith("%") or not 0 <= value <= 100:
        raise entry.error(
            f"{entry.name}: {written!r} is not a percentage", "write e.g. 80%"
        )
    return value / 100.0


def _existing(entry: Entry, system: System) -> tuple[str, ...]:
    found = []
    for item in entry.items("a list of folders", "write e.g. [services]"):
        path = system.root / item.text()
        if not path.exists():
            raise item.error(
                f"{item.name}: {item.text()!r} not found",
                "fix the path; it is relative to the folder of the system file",
            )
        found.append(str(path))
    return tuple(found)


def _thresholds(entry: Entry) -> tuple[Threshold, ...]:
    thresholds = []
    for item in entry.items(
        'a list of thresholds like ["p95 < 300ms"]',
        "{max_failures: ...} is for test stages",
    ):
        try:
            thresholds.append(parse_threshold(item.text()))
        except ThresholdSyntaxError as error:
            raise item.error(
                f"{item.name}: {error}",
                "a threshold reads <metric> <op> <value><unit>",
            ) from None
    return tuple(thresholds)


def _load_settings(
    stage: Entry, fields: Mapping[str, Entry], system: System
) -> LoadSettings:
    for key in ("locustfile", "target"):
        if key not in fields:
            raise stage.missing(key)

    entry = fields["locustfile"]
    written = entry.text()
    locustfile = (system.root / written).resolve()
    if not locustfile.is_file():
        raise entry.error(
            f"{entry.name}: {written!r} not found (looked for {locustfile})",
            "fix the path; it is relative to the folder of the system file",
        )
    target = fields["target"].text()
    if target not in system.services:
        raise fields["target"].error(
            f"{fields['target'].name}: unknown service {target!r}",
            suggest(target, system.services),
        )
    users = _optional(fields, "users", lambda e: e.integer(1), 10)

    return LoadSettings(
        locustfile=locustfile,
        target=target,
        users=users,
        spawn_rate=_optional(fields, "spawn_rate", Entry.positive_number, float(users)),
        duration=_optional(fields, "duration", Entry.duration, 30.0),
        min_samples=_optional(fields, "min_samples", lambda e: e.integer(1), 100),
        target_rps=_optional(fields, "target_rps", Entry.positive_number, None),
        workers=_optional(fields, "workers", lambda e: e.integer(0), 0),
        shape=_optional(fields, "shape", _shape, ""),
    )


def _shape(entry: Entry) -> str:
    text = entry.text()
    try:
        parse_shape(text)
    except ThresholdSyntaxError as error:
        raise entry.error(
            f"{entry.name}: {error}", "write steps like 10s:20,30s:20,5s:0"
        ) from None
    return text


def _schedules(entry: Entry, stages: Collection[str]) -> dict[str, Schedule]:
    schedules: dict[str, Schedule] = {}
    for name, schedule in entry.mapping(
        expected="a mapping of schedule name to {cron: ..., stages: [...]}"
    ).items():
        fields = schedule.mapping(("cron", "stages"), ("cron", "stages"))
        names = fields["stages"].names(stages, "stage")
        if not names:
            raise fields["stages"].error(
                f"{fields['stages'].name} is empty", "name the stages to run"
            )
        schedules[name] = Schedule(name=name, cron=fields["cron"].cron(), stages=names)
    return schedules
