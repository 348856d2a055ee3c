"""Plain data every part of the harness reads.

No I/O happens here: :mod:`harness.config` builds these objects from the
files a user writes, and everything above reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.layers import Layer
from harness.thresholds import Threshold


@dataclass(frozen=True)
class Service:
    """One service of the system under test.

    Attributes:
        name: the key under ``services:``.
        path: the build context (holds the Dockerfile), absolute.
        run: the command the local backend starts; ``python`` means the
            interpreter running the harness.
        port: the port the service listens on inside a container.
        health: the path that answers 200 once the service is ready.
        needs: services that must be up first.
        env: environment for the service; values may hold ``${other.url}``
            and ``${data}`` (a scratch folder of the service's own).
        startup_timeout: seconds to wait for the health check.
    """

    name: str
    path: Path
    run: tuple[str, ...]
    port: int = 8080
    health: str = "/health"
    needs: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 30.0


@dataclass(frozen=True)
class System:
    """The services under test, from ``system.yaml``."""

    source: Path
    services: dict[str, Service]

    @property
    def root(self) -> Path:
        return self.source.parent

    def start_order(self) -> list[Service]:
        """Services ordered so that each comes after everything it needs."""
        ordered: list[Service] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            service = self.services[name]
            for dependency in service.needs:
                visit(dependency)
            ordered.append(service)

        for name in self.services:
            visit(name)
        return ordered


@dataclass(frozen=True)
class TestGate:
    """When a test stage passes: at most ``max_failures`` failed tests.

    ``reruns`` runs the failed tests again up to that many times; a test that
    passes on a rerun counts as passed and is reported as flaky.
    ``coverage`` is the floor (a fraction) for the line coverage the stage's
    tests give the code under ``cover`` (absolute paths).
    """

    __test__ = False  # not a pytest test class despite its name

    max_failures: int = 0
    reruns: int = 0
    coverage: float | None = None
    cover: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadSettings:
    """How a load stage drives locust."""

    locustfile: Path
    target: str
    users: int = 10
    spawn_rate: float = 10.0
    duration: float = 30.0
    min_samples: int = 100
    target_rps: float | None = None
    workers: int = 0
    shape: str = ""


@dataclass(frozen=True)
class Stage:
    """One node of the pipeline's graph.

    A stage either runs a layer's tests (``layer``) or performs an action
    (``deploy``). ``needs`` are the stages that must pass before it starts.
    """

    name: str
    needs: tuple[str, ...] = ()
    layer: Layer | None = None
    action: str | None = None
    paths: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    allow_empty: bool = False
    timeout: float = 600.0
    gate: TestGate = field(default_factory=TestGate)
    thresholds: tuple[Threshold, ...] = ()
    load: LoadSettings | None = None


@dataclass(frozen=True)
class Schedule:
    """A cron schedule that re-runs some stages without a code change."""

    name: str
    cron: str
    stages: tuple[str, ...]


@dataclass(frozen=True)
class Pipeline:
    """A pipeline file: its system, backend and stages in file order."""

    source: Path
    name: str
    system: System
    environment: str
    stages: dict[str, Stage]
    schedules: dict[str, Schedule] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The repository the pipeline runs in: where the system file lives."""
        return self.system.root

    def downstream(self, name: str) -> set[str]:
        """Every stage that needs ``name``, directly or not."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for stage in self.stages.values():
                if current in stage.needs and stage.name not in found:
                    found.add(stage.name)
                    frontier.append(stage.name)
        return found
