"""Running a run's image builds: create the Jobs, follow them, read digests.

:class:`BuildRun` creates every build's objects, then polls each kaniko
Job until it succeeds or fails. As soon as a build pod's container has
started, its log is streamed into ``<run>/builds/<service>.log`` (see
:class:`~.logs.LogFollower`), so the file grows while kaniko works. A
failed build raises with kaniko's last log lines; a build that overruns
``builder.timeout`` raises naming what it was waiting for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.environments.kubernetes import build
from harness.environments.kubernetes.cleanup import Clock
from harness.environments.kubernetes.client import Cluster
from harness.environments.kubernetes.logs import LogFollower, pod_log, redact
from harness.environments.kubernetes.render import RunPlan
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.environments.kubernetes.tenant import Manifest
from harness.errors import EnvironmentError_

log = logging.getLogger(__name__)

POLL = 2.0
TAIL_LINES = 5
CONTAINER = build.CONTAINER

Creator = Callable[[Manifest], Any]


class BuildRun:
    """The builds of one run.

    Args:
        create: applies one manifest (the environment's, which turns API
            refusals into clear errors).
        s3_client: an S3 client for contexts that travel through a bucket.
    """

    def __init__(
        self,
        cluster: Cluster,
        settings: KubernetesSettings,
        plan: RunPlan,
        run_dir: Path,
        *,
        create: Creator,
        clock: Clock,
        s3_client: Any = None,
    ) -> None:
        self.cluster, self.settings, self.plan = cluster, settings, plan
        self.run_dir = run_dir
        self._create = create
        self._clock = clock
        self._s3_client = s3_client
        self._followers: dict[str, LogFollower] = {}

    def run(self) -> dict[str, str]:
        """Build every image; service → image pinned by digest."""
        self._upload()
        for objects in self.plan.builds.values():
            for manifest in objects:
                self._create(manifest)
        try:
            return self._wait()
        finally:
            # Builds still running when another failed keep what they logged.
            for service in list(self._followers):
                self._followers.pop(service).finish(timeout=0.0)

    def _upload(self) -> None:
        if not self.plan.uploads:
            return
        s3 = self.settings.builder.s3
        assert s3 is not None and self._s3_client is not None
        for key, data in self.plan.uploads.items():
            self._s3_client.put_object(Bucket=s3.bucket, Key=key, Body=data)

    def _wait(self) -> dict[str, str]:
        builder = build.KanikoBuilder(self.settings)
        timeout = self.settings.builder.timeout
        pending = dict(self.plan.requests)
        images: dict[str, str] = {}
        deadline = self._clock.now() + timeout
        while pending:
            for service, request in sorted(pending.items()):
                outcome, pods = self._outcome(builder, request)
                self._follow(request, pods)
                if outcome.state == build.RUNNING:
                    if self._clock.now() > deadline:
                        raise EnvironmentError_(
                            f"build of {service} did not finish in {timeout:g}s "
                            f"({outcome.reason}) — raise kubernetes.builder.timeout "
                            f"or see {self.run_dir / 'debug'}"
                        )
                    continue
                tail = self._finish_log(request, pods)
                if outcome.state == build.FAILED:
                    raise EnvironmentError_(
                        f"build of {service} failed: {outcome.reason}"
                        + (f"; kaniko's last lines: {tail}" if tail else "")
                    )
                assert outcome.digest is not None
                images[service] = f"{request.repository}@{outcome.digest}"
                log.info("built %s as %s", service, images[service])
                del pending[service]
            if pending:
                self._clock.sleep(POLL)
        return images

    def _outcome(
        self, builder: build.Builder, request: build.BuildRequest
    ) -> tuple[build.BuildOutcome, list[Any]]:
        core, ns, job = self.cluster.core, request.namespace, request.job_name
        found = self.cluster.batch.read_namespaced_job(job, ns)
        pods = core.list_namespaced_pod(ns, label_selector=f"job-name={job}")
        events = core.list_namespaced_event(
            ns, field_selector=f"involvedObject.kind=Job,involvedObject.name={job}"
        )
        items = list(pods.items or [])
        return builder.outcome(found, items, events.items or []), items

    def _follow(self, request: build.BuildRequest, pods: Sequence[Any]) -> None:
        if request.service in self._followers:
            return
        for pod in pods:
            if _started(pod):
                self._followers[request.service] = LogFollower(
                    self.cluster.core,
                    pod.metadata.name,
                    request.namespace,
                    build.CONTAINER,
                    self._log_path(request),
                    self.plan.secret_values,
                )
                return

    def _finish_log(self, request: build.BuildRequest, pods: Sequence[Any]) -> str:
        follower = self._followers.pop(request.service, None)
        if follower is not None:
            text = follower.finish()
        else:
            text = "".join(
                pod_log(
                    self.cluster.core, p.metadata.name, request.namespace, CONTAINER
                )
                for p in pods
            )
            text = redact(text, self.plan.secret_values)
            self._log_path(request).write_text(text)
        lines = [line for line in text.splitlines() if line.strip()]
        return " | ".join(lines[-TAIL_LINES:])

    def _log_path(self, request: build.BuildRequest) -> Path:
        path = self.run_dir / "builds" / f"{request.service}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def _started(pod: Any) -> bool:
    """Whether the kaniko container has a log to read (running or ended)."""
    for status in (pod.status.container_statuses or ()) if pod.status else ():
        if status.name == build.CONTAINER and status.state is not None:
            return bool(status.state.running or status.state.terminated)
    return False
