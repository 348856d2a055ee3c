"""Walks the stage graph: parallel where it can, fail early, always teardown."""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Protocol

from harness.contracts.gate import deploy_gate, record_deployed
from harness.environments import create_environment
from harness.environments.base import Deployment, Environment
from harness.errors import HarnessError
from harness.model import Pipeline, Stage
from harness.pipeline.signals import signals_held
from harness.pipeline.stages import ProcessRegistry, run_test_stage
from harness.run import FAILED, PASSED, SKIPPED, Run, StageResult

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Hears what the runner does, to show it (see :mod:`harness.console`)."""

    def started(self, name: str) -> None: ...

    def finished(self, result: StageResult) -> None: ...

    def note(self, text: str) -> None: ...


def new_run_id(pipeline: Pipeline) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(2)}"


class Runner:
    """Runs a pipeline's stages as their needs allow.

    Args:
        pipeline: the loaded pipeline.
        run_dir: where this run's JUnit files, logs and reports go.
        progress: hears each stage start and finish, for the console.
    """

    def __init__(self, pipeline: Pipeline, run: Run, progress: Progress) -> None:
        self.pipeline = pipeline
        self.run = run
        self.progress = progress
        self.processes = ProcessRegistry()
        self.environment: Environment | None = None
        self.deployment: Deployment | None = None
        self._running: dict[Future[StageResult], str] = {}

    def execute(self) -> Run:
        """Run every stage; teardown runs whatever happens, Ctrl-C included."""
        pool = ThreadPoolExecutor(max_workers=max(1, len(self.pipeline.stages)))
        try:
            self._walk(pool)
        except KeyboardInterrupt:
            with signals_held():
                self.run.interrupted = True
                self.progress.note("interrupted: stopping running stages")
                if self.environment is not None:
                    self.environment.cancel()
                self.processes.stop_all()
                # Stopped stages return promptly; a cancelled deploy returns
                # once the service it was starting is tracked for teardown.
                pool.shutdown(wait=True, cancel_futures=True)
                self._mark_remaining()
        finally:
            with signals_held():
                pool.shutdown(wait=True, cancel_futures=True)
                self._teardown()
                self.run.finished = time.time()
        return self.run

    def _walk(self, pool: ThreadPoolExecutor) -> None:
        results = self.run.results
        pending = dict(self.pipeline.stages)

        while pending or self._running:
            for name, stage in list(pending.items()):
                blocker = next(
                    (
                        n
                        for n in stage.needs
                        if n in results and results[n].status != PASSED
                    ),
                    None,
                )
                if blocker is not None:
                    del pending[name]
                    results[name] = StageResult(
                        name,
                        SKIPPED,
                        f"because {blocker} did not pass",
                        layer=stage.layer.value if stage.layer else None,
                    )
                    self.progress.finished(results[name])
                elif all(n in results for n in stage.needs):
                    del pending[name]
                    self.progress.started(name)
                    self._running[pool.submit(self._run_stage, stage)] = name
            done, _ = wait(self._running, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                name = self._running.pop(future)
                results[name] = future.result()
                self.progress.finished(results[name])

    def _run_stage(self, stage: Stage) -> StageResult:
        started = time.time()
        log.info("stage %s started", stage.name)
        try:
            if stage.action == "deploy":
                result = self._deploy(stage)
            else:
                result = run_test_stage(
                    stage,
                    self.run.run_dir,
                    self.pipeline.root,
                    self.deployment,
                    self.processes,
                    pipeline=self.pipeline.name,
                )
        except HarnessError as error:
            result = StageResult(stage.name, FAILED, str(error))
        if stage.layer is not None and self.environment is not None:
            # Logs as they stood when the stage ended, kept even if a later
            # stage or the teardown goes wrong.
            self.environment.collect_logs()
        result.started = started
        result.seconds = time.time() - started
        log.info(
            "stage %s %s in %.1fs: %s",
            stage.name,
            result.status,
            result.seconds,
            result.reason,
        )
        return result

    def _deploy(self, stage: Stage) -> StageResult:
        refusal = deploy_gate(self.pipeline, self.pipeline.environment)
        if refusal is not None:
            return StageResult(stage.name, FAILED, refusal)
        environment = create_environment(
            self.pipeline.environment,
            self.run.run_dir,
            tenant=self.run.run_id,
            pipeline=self.pipeline.name,
            context=self.run.context,
            keep_on_failure=self.run.keep_on_failure,
        )
        self.environment = environment
        deployment = environment.deploy(self.pipeline.system)
        self.deployment = deployment
        deployment.write(self.run.run_dir / "environment.json")
        deployment.write(self.pipeline.root / ".cdh" / "environment.json")
        record_deployed(self.pipeline, self.pipeline.environment)
        services = ", ".join(f"{n} {u}" for n, u in deployment.services.items())
        return StageResult(stage.name, PASSED, f"{deployment.backend}: {services}")

    def _teardown(self) -> None:
        started = time.time()
        result = StageResult("teardown", PASSED, "nothing deployed")
        if self.environment is not None:
            try:
                if not self.run.passed:
                    self.environment.mark_failed()
                self.environment.collect_logs()
                self.environment.teardown()
                result.reason = f"{self.environment.name} environment removed"
                if self.deployment is not None:
                    self.deployment.forget(
                        self.pipeline.root / ".cdh" / "environment.json"
                    )
            except HarnessError as error:
                result = StageResult("teardown", FAILED, str(error))
        result.started = started
        result.seconds = time.time() - started
        self.run.teardown = result
        self.progress.finished(result)

    def _mark_remaining(self) -> None:
        for future, name in self._running.items():
            if future.done() and not future.cancelled():
                self.run.results[name] = future.result()
        interrupted = set(self._running.values())
        for name, stage in self.pipeline.stages.items():
            if name in self.run.results:
                continue
            status, reason = (
                (FAILED, "interrupted")
                if name in interrupted
                else (
                    SKIPPED,
                    "because the run was interrupted",
                )
            )
            self.run.results[name] = StageResult(
                name, status, reason, layer=stage.layer.value if stage.layer else None
            )
