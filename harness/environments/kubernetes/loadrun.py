"""Running a distributed locust load in the tenant namespace, and reading it back.

:class:`ClusterLoad` applies the objects of :func:`~.loadgen.render_load`,
waits for the master pod to end, reads the master's log and unpacks the
result files its wrapper printed there (:func:`read_results`), keeps the
workers' logs, and deletes the objects again on every exit path. A pod the
cluster cannot run (an image that cannot be pulled, a pod Pod Security
refuses, one the scheduler cannot place) fails the run at once with the
reason instead of waiting for the deadline.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import re
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.environments.kubernetes.cleanup import Clock
from harness.environments.kubernetes.client import Cluster, connect, create
from harness.environments.kubernetes.loadgen import (
    BEGIN,
    END,
    START_MARGIN,
    LoadPod,
    LoadSpec,
    render_load,
)
from harness.errors import LoadError

log = logging.getLogger(__name__)

POLL = 2.0

_HEADER = re.compile(rf"^{re.escape(BEGIN)} (-?\d+) <==$")
_POD_FAILURES = (
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
)
# Unlike a build, a load run waits for no pod to end: a quota it exceeds now
# stays exceeded, so only the quota controller's start-up is transient.
_TRANSIENT = ("status unknown for quota",)


@dataclass
class LoadResult:
    """What a distributed run left behind.

    Attributes:
        exit_code: locust's exit code, as the wrapper reported it.
        log: the master's log without the result files.
        files: result file name (as written in the pod) → content.
        worker_logs: one log per worker pod.
    """

    exit_code: int
    log: str
    files: dict[str, bytes] = field(default_factory=dict)
    worker_logs: list[str] = field(default_factory=list)


def read_results(text: str) -> tuple[int | None, dict[str, bytes], str]:
    """Split a master's log into its exit code, result files and the rest.

    Returns:
        ``(None, {}, text)`` when the log holds no results (the master was
        killed before its wrapper could print them).

    Raises:
        LoadError: the results are there but damaged.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
    if start is None:
        return None, {}, text
    try:
        stop = lines.index(END, start)
    except ValueError:
        raise LoadError(
            "the locust master's log ends inside its results — the log was cut "
            "(is the kubelet's log size limit below the results' size?)"
        ) from None
    match = _HEADER.match(lines[start])
    assert match is not None
    try:
        packed = base64.b64decode("".join(lines[start + 1 : stop]), validate=True)
        files = {}
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or "/" in member.name or ".." in member.name:
                    continue
                extracted = tar.extractfile(member)
                if extracted is not None:
                    files[member.name] = extracted.read()
    except (binascii.Error, tarfile.TarError, OSError, EOFError) as error:
        raise LoadError(
            f"cannot read the locust master's results from its log: {error}"
        ) from None
    rest = "\n".join(lines[:start] + lines[stop + 1 :])
    return int(match.group(1)), files, rest


class ClusterLoad:
    """Runs :class:`~.loadgen.LoadSpec` runs in one tenant namespace."""

    def __init__(
        self,
        cluster: Cluster,
        namespace: str,
        pod: LoadPod,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.cluster, self.namespace, self.pod = cluster, namespace, pod
        self._clock = clock or Clock()

    def run(self, spec: LoadSpec) -> LoadResult:
        """Apply, wait for the master to end, read back, delete.

        Raises:
            LoadError: the pods cannot run, the run overran, or its results
                are missing.
        """
        objects = render_load(spec, self.namespace, self.pod)
        try:
            for manifest in objects:
                self._create(manifest)
            log.info(
                "locust master and %d workers started in %s (%s)",
                spec.workers,
                self.namespace,
                spec.name,
            )
            master = self._wait(spec)
            return self._read_back(spec, master)
        finally:
            self._delete(objects)

    def _create(self, manifest: Mapping[str, Any]) -> None:
        try:
            create(self.cluster, dict(manifest))
        except Exception as error:
            status = getattr(error, "status", None)
            if not isinstance(status, int):
                raise
            raise LoadError(
                f"the API refused to create {manifest['kind']} "
                f"{manifest['metadata']['name']} in {self.namespace} for the "
                f"load workers: {status} {getattr(error, 'reason', '')}"
            ) from None

    def _wait(self, spec: LoadSpec) -> str:
        core, ns = self.cluster.core, self.namespace
        deadline = self._clock.now() + spec.timeout + START_MARGIN
        while True:
            masters = core.list_namespaced_pod(
                ns, label_selector=spec.selector("master")
            ).items
            workers = core.list_namespaced_pod(
                ns, label_selector=spec.selector("worker")
            ).items
            for pod in masters or ():
                if _ended(pod):
                    return str(pod.metadata.name)
            problem = _pod_problem([*(masters or ()), *(workers or ())])
            problem = problem or self._refused(spec)
            if problem:
                raise LoadError(f"the load pods in {ns} cannot run: {problem}")
            if self._clock.now() > deadline:
                raise LoadError(
                    f"the locust master in {ns} did not finish within "
                    f"{spec.timeout + START_MARGIN:g}s — see the debug bundle"
                )
            self._clock.sleep(POLL)

    def _refused(self, spec: LoadSpec) -> str:
        for job in (spec.master, spec.worker_job):
            events = self.cluster.core.list_namespaced_event(
                self.namespace,
                field_selector=f"involvedObject.kind=Job,involvedObject.name={job}",
            ).items
            for event in events or ():
                message = event.message or ""
                if event.reason == "FailedCreate" and not any(
                    t in message for t in _TRANSIENT
                ):
                    hint = (
                        " — raise kubernetes.tenant.quota or lower workers"
                        if "exceeded quota" in message
                        else ""
                    )
                    return f"Job {job}: {message}{hint}"
        return ""

    def _read_back(self, spec: LoadSpec, master: str) -> LoadResult:
        text = self._log(master, "master")
        code, files, rest = read_results(text)
        if code is None:
            raise LoadError(
                f"the locust master {master} in {self.namespace} ended without "
                "printing its results; its last lines: " + _tail(text)
            )
        workers = self.cluster.core.list_namespaced_pod(
            self.namespace, label_selector=spec.selector("worker")
        ).items
        worker_logs = [
            self._log(pod.metadata.name, "worker")
            for pod in sorted(workers or (), key=lambda p: p.metadata.name)
        ]
        log.info("locust master %s exited with %s", master, code)
        return LoadResult(code, rest, files, worker_logs)

    def _log(self, pod: str, container: str) -> str:
        try:
            text = self.cluster.core.read_namespaced_pod_log(
                pod, self.namespace, container=container
            )
        except Exception as error:  # the API's errors carry no stable type here
            return f"(log of {pod} unavailable: {getattr(error, 'reason', error)})\n"
        return str(text or "")

    def _delete(self, objects: Sequence[Mapping[str, Any]]) -> None:
        core, batch = self.cluster.core, self.cluster.batch
        deleters: dict[str, Callable[..., Any]] = {
            "ConfigMap": core.delete_namespaced_config_map,
            "Service": core.delete_namespaced_service,
            "Job": batch.delete_namespaced_job,
        }
        for manifest in reversed(objects):
            name = manifest["metadata"]["name"]
            try:
                deleters[manifest["kind"]](
                    name, self.namespace, propagation_policy="Background"
                )
            except Exception as error:  # the namespace's deletion removes it anyway
                log.warning("could not delete %s %s: %s", manifest["kind"], name, error)


def run_in_cluster(
    details: Mapping[str, Any],
    spec: LoadSpec,
    *,
    connector: Callable[[str | None], Cluster] = connect,
) -> LoadResult:
    """Run ``spec`` in the tenant a Kubernetes deployment describes.

    Args:
        details: the deployment's details: ``namespace``, ``context`` and
            ``load`` (a :class:`~.loadgen.LoadPod` as a dict).
    """
    context = details.get("context")
    cluster = connector(str(context) if context else None)
    pod = LoadPod.from_dict(details["load"])
    return ClusterLoad(cluster, str(details["namespace"]), pod).run(spec)


def _ended(pod: Any) -> bool:
    for status in (pod.status.container_statuses or ()) if pod.status else ():
        if status.state is not None and status.state.terminated is not None:
            return True
    return False


def _pod_problem(pods: Sequence[Any]) -> str:
    for pod in pods:
        status = pod.status
        for container in (status.container_statuses or ()) if status else ():
            waiting = container.state.waiting if container.state else None
            if waiting is not None and waiting.reason in _POD_FAILURES:
                return (
                    f"pod {pod.metadata.name}: {waiting.reason}: "
                    f"{waiting.message or ''} — check kubernetes.load.image"
                ).replace(":  —", " —")
        for condition in (status.conditions or ()) if status else ():
            if condition.type == "PodScheduled" and condition.reason == "Unschedulable":
                return f"pod {pod.metadata.name}: Unschedulable: {condition.message}"
    return ""


def _tail(text: str, lines: int = 5) -> str:
    found = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(found[-lines:]) or "(empty log)"
