"""What a run did: plain data the runner fills and the reports read.

No I/O here; it sits just above :mod:`harness.model` so that both
:mod:`harness.pipeline` and :mod:`harness.report` can import it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.model import Pipeline

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Failure:
    """One failed or erroring test case."""

    test: str
    message: str


@dataclass(frozen=True)
class TestCounts:
    """What a stage's tests did, from its JUnit file."""

    __test__ = False  # not a pytest test class despite its name

    total: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: tuple[Failure, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> int:
        return self.total - self.failed - self.errors - self.skipped


@dataclass
class StageResult:
    """What happened to one stage, as results.json records it."""

    name: str
    status: str
    reason: str = ""
    seconds: float = 0.0
    started: float = 0.0
    layer: str | None = None
    tests: TestCounts | None = None
    junit: str | None = None
    log: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    flaky: list[str] = field(default_factory=list)


@dataclass
class Run:
    """One run of a pipeline and everything the reports need."""

    pipeline: Pipeline
    run_id: str
    run_dir: Path
    started: float = field(default_factory=time.time)
    finished: float = 0.0
    results: dict[str, StageResult] = field(default_factory=dict)
    interrupted: bool = False
    teardown: StageResult | None = None
    context: str | None = None
    keep_on_failure: bool = False

    @property
    def passed(self) -> bool:
        """Every stage ran and passed, and teardown removed everything."""
        if self.interrupted or (self.teardown and self.teardown.status != PASSED):
            return False
        return all(
            name in self.results and self.results[name].status == PASSED
            for name in self.pipeline.stages
        )

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.passed else 1
