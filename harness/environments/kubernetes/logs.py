"""Pod logs into the run folder, to object storage, and a debug bundle.

Service logs land in ``<run>/logs/<service>.log`` (every pod and container
of the service, in name order); build logs in ``<run>/builds/``. When the
``logs:`` bucket is configured they are uploaded under
``<prefix>/<yyyy>/<mm>/<dd>/<run-id>/<service>.log``. On a failure the
debug bundle in ``<run>/debug/<namespace>/`` keeps what ``kubectl
describe`` and ``kubectl get events`` would show, and the logs of crashed
containers' previous runs.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.environments.kubernetes import names
from harness.environments.kubernetes.settings import S3Settings

log = logging.getLogger(__name__)

MASK = "********"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by a mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def pod_log(
    core: Any, pod: str, namespace: str, container: str, *, previous: bool = False
) -> str:
    """One container's log; an unreadable log reads as a note, not an error."""
    try:
        text = core.read_namespaced_pod_log(
            pod, namespace, container=container, previous=previous, timestamps=True
        )
    except Exception as error:  # the API's errors carry no stable type here
        return f"(log unavailable: {getattr(error, 'reason', error)})\n"
    return str(text or "")


class LogFollower:
    """Streams one container's log into a file while the container runs.

    The API server keeps a ``follow`` request open and sends each line as
    the container writes it; a thread copies whole lines, secrets masked,
    to ``path`` and flushes each, so a long build can be watched with
    ``tail -f`` while it runs. The stream ends when the container exits.

    Args:
        core: the ``CoreV1Api`` (or a stand-in answering with a string).
        secrets: values masked before a line reaches the file.
    """

    def __init__(
        self,
        core: Any,
        pod: str,
        namespace: str,
        container: str,
        path: Path,
        secrets: Iterable[str] = (),
    ) -> None:
        self.core, self.pod, self.namespace = core, pod, namespace
        self.container, self.path = container, path
        self.secrets = list(secrets)
        self.error = ""
        self.lines = 0
        self._response: Any = None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        self._thread = threading.Thread(
            target=self._follow, name=f"log-{pod}", daemon=True
        )
        self._thread.start()
        log.debug("following the log of %s/%s", namespace, pod)

    def _follow(self) -> None:
        try:
            response = self.core.read_namespaced_pod_log(
                self.pod,
                self.namespace,
                container=self.container,
                follow=True,
                timestamps=True,
                _preload_content=False,
            )
            with self.path.open("a", encoding="utf-8") as out:
                if isinstance(response, str | bytes):
                    self._write(out, _text(response))
                    return
                self._response = response
                pending = ""
                for chunk in response.stream(4096, decode_content=True):
                    pending += _text(chunk)
                    done, _, pending = pending.rpartition("\n")
                    if done:
                        self._write(out, done + "\n")
                if pending:
                    self._write(out, pending)
        except Exception as error:  # a broken stream falls back to one read
            self.error = str(getattr(error, "reason", "") or error)
            log.debug("log stream of %s ended: %s", self.pod, self.error)
        finally:
            if self._response is not None:
                self._response.release_conn()

    def _write(self, out: Any, text: str) -> None:
        out.write(redact(text, self.secrets))
        out.flush()
        self.lines += text.count("\n")

    def finish(self, timeout: float = 10.0) -> str:
        """Wait for the stream to end (the container has exited); the text.

        A stream that broke or is still open after ``timeout`` is closed,
        and the whole log is read once instead, so the file is complete.
        """
        self._thread.join(timeout)
        if self._thread.is_alive() or self.error:
            if self._response is not None:
                self._response.close()
            self._thread.join(1.0)
            whole = pod_log(self.core, self.pod, self.namespace, self.container)
            self.path.write_text(redact(whole, self.secrets))
        return self.path.read_text(errors="replace")


def _text(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def collect_service_logs(
    core: Any, namespace: str, folder: Path, secrets: Iterable[str] = ()
) -> dict[str, Path]:
    """Write each service's pod logs to ``folder/<service>.log``.

    Returns:
        service name → log file.
    """
    hidden = list(secrets)
    pods = core.list_namespaced_pod(namespace).items or []
    by_service: dict[str, list[Any]] = defaultdict(list)
    for pod in pods:
        service = (pod.metadata.labels or {}).get(names.SERVICE)
        if service:
            by_service[service].append(pod)

    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for service, members in sorted(by_service.items()):
        parts = []
        for pod in sorted(members, key=lambda p: p.metadata.name):
            for container in pod.spec.containers:
                text = pod_log(core, pod.metadata.name, namespace, container.name)
                parts.append(
                    f"==> pod {pod.metadata.name} container {container.name} <==\n"
                )
                parts.append(redact(text, hidden))
        path = folder / f"{service}.log"
        path.write_text("".join(parts))
        written[service] = path
    return written


def s3_log_key(prefix: str, when: datetime, run_id: str, service: str) -> str:
    """A log's key: ``<prefix>/<yyyy>/<mm>/<dd>/<run-id>/<service>.log``."""
    day = when.astimezone(timezone.utc).strftime("%Y/%m/%d")
    parts = [prefix.strip("/"), day, run_id, f"{service}.log"]
    return "/".join(part for part in parts if part)


def upload_logs(
    client: Any, s3: S3Settings, run_id: str, files: dict[str, Path], when: datetime
) -> list[str]:
    """Upload the logs with an S3 client (``put_object``); returns the keys."""
    keys = []
    for service, path in sorted(files.items()):
        key = s3_log_key(s3.prefix, when, run_id, service)
        client.put_object(
            Bucket=s3.bucket, Key=key, Body=path.read_bytes(), ContentType="text/plain"
        )
        keys.append(key)
    log.info("uploaded %d logs to s3://%s/%s", len(keys), s3.bucket, s3.prefix)
    return keys


def write_debug_bundle(
    core: Any,
    apps: Any,
    batch: Any,
    namespace: str,
    folder: Path,
    secrets: Iterable[str] = (),
) -> Path:
    """Write what a person debugging a failed run looks at first."""
    hidden = list(secrets)
    target = folder / namespace
    target.mkdir(parents=True, exist_ok=True)

    pods = core.list_namespaced_pod(namespace).items or []
    (target / "pods.txt").write_text(
        "\n".join(describe_pod(p) for p in pods) or "(no pods)\n"
    )
    deployments = apps.list_namespaced_deployment(namespace).items or []
    (target / "deployments.txt").write_text(
        "\n".join(describe_conditions("Deployment", d) for d in deployments)
        or "(none)\n"
    )
    jobs = batch.list_namespaced_job(namespace).items or []
    (target / "jobs.txt").write_text(
        "\n".join(describe_conditions("Job", j) for j in jobs) or "(none)\n"
    )
    events = core.list_namespaced_event(namespace).items or []
    (target / "events.txt").write_text(
        "".join(describe_event(e) for e in sorted(events, key=_event_time))
        or "(no events)\n"
    )

    logs = target / "logs"
    logs.mkdir(exist_ok=True)
    for pod in pods:
        for status in (pod.status.container_statuses or ()) if pod.status else ():
            name = f"{pod.metadata.name}.{status.name}"
            current = pod_log(core, pod.metadata.name, namespace, status.name)
            (logs / f"{name}.log").write_text(redact(current, hidden))
            if status.restart_count:
                previous = pod_log(
                    core, pod.metadata.name, namespace, status.name, previous=True
                )
                (logs / f"{name}.previous.log").write_text(redact(previous, hidden))
    log.info("debug bundle for %s written to %s", namespace, target)
    return target


def describe_pod(pod: Any) -> str:
    status = pod.status
    lines = [
        f"Pod {pod.metadata.name}",
        f"  Phase: {status.phase if status else 'Unknown'}",
        f"  Node: {pod.spec.node_name if pod.spec else None}",
    ]
    for condition in (status.conditions or ()) if status else ():
        lines.append(
            f"  Condition {condition.type}={condition.status}"
            f" {condition.reason or ''} {condition.message or ''}".rstrip()
        )
    for container in (status.container_statuses or ()) if status else ():
        lines.append(
            f"  Container {container.name}: ready={container.ready} "
            f"restarts={container.restart_count} state={_state(container.state)}"
        )
    return "\n".join(lines) + "\n"


def describe_conditions(kind: str, obj: Any) -> str:
    lines = [f"{kind} {obj.metadata.name}"]
    for condition in (obj.status.conditions or ()) if obj.status else ():
        lines.append(
            f"  {condition.type}={condition.status} {condition.reason or ''}: "
            f"{condition.message or ''}"
        )
    return "\n".join(lines) + "\n"


def describe_event(event: Any) -> str:
    involved = event.involved_object
    what = f"{involved.kind}/{involved.name}" if involved else "?"
    return f"{_event_time(event)} {event.type} {event.reason} {what}: {event.message}\n"


def _event_time(event: Any) -> str:
    stamp = event.last_timestamp or event.event_time or event.first_timestamp
    return stamp.isoformat() if stamp else ""


def _state(state: Any) -> str:
    if state is None:
        return "unknown"
    if state.waiting is not None:
        return f"waiting ({state.waiting.reason}: {state.waiting.message or ''})"
    if state.terminated is not None:
        return (
            f"terminated (exit {state.terminated.exit_code}, {state.terminated.reason})"
        )
    return "running" if state.running is not None else "unknown"
