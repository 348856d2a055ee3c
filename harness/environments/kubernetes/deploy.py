"""Services as Deployments and Services, and why a rollout did not finish.

:func:`render_service` turns one service of ``system.yaml`` into the two
objects the tenant namespace runs it with; ``${other.url}`` in its
environment becomes the other service's cluster DNS name. Pods pass the
``restricted`` Pod Security level: non-root, no privilege escalation, all
capabilities dropped, the runtime's default seccomp profile.

:func:`rollout_failure` reads a Deployment and its pods and names the
reason a rollout cannot finish (an image that cannot be pulled, a
container crashing, a pod the scheduler or the quota refuses), so that a
failed deploy says why instead of only timing out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from harness.environments.kubernetes import names
from harness.environments.kubernetes.build import placement
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.environments.kubernetes.tenant import WORKLOAD_ACCOUNT, Manifest
from harness.model import Service

DATA_DIR = "/var/lib/cdh/data"
REGISTRY_PULL_SECRET = "cdh-registry"
_PLACEHOLDER = re.compile(r"\$\{([a-z0-9-]+)(?:\.(url|host|port))?\}")
_WAITING_FAILURES = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
)

LogReader = Callable[[str, str], str]


def service_host(name: str, namespace: str, settings: KubernetesSettings) -> str:
    return f"{name}.{namespace}.svc.{settings.cluster_domain}"


def service_url(service: Service, namespace: str, settings: KubernetesSettings) -> str:
    """The URL of ``service`` inside the cluster."""
    return f"http://{service_host(service.name, namespace, settings)}:{service.port}"


def wire_env(
    service: Service,
    services: dict[str, Service],
    namespace: str,
    settings: KubernetesSettings,
) -> dict[str, str]:
    """``service.env`` with placeholders replaced by cluster addresses."""

    def replace(match: re.Match[str]) -> str:
        name, part = match.group(1), match.group(2)
        if name == "data" and part is None:
            return f"{DATA_DIR}"
        other = services[name]
        if part == "host":
            return service_host(name, namespace, settings)
        if part == "port":
            return str(other.port)
        return service_url(other, namespace, settings)

    return {key: _PLACEHOLDER.sub(replace, value) for key, value in service.env.items()}


def render_service(
    service: Service,
    services: dict[str, Service],
    *,
    namespace: str,
    image: str,
    run_id: str,
    settings: KubernetesSettings,
    pull_secret: bool = False,
) -> list[Manifest]:
    """The Deployment and Service that run ``service`` in ``namespace``."""
    own = settings.service(service.name)
    labels = names.workload_labels(service.name, run_id)
    env = {"HOST": "0.0.0.0", "PORT": str(service.port)}
    env |= wire_env(service, services, namespace, settings)
    probe = {
        "httpGet": {"path": service.health, "port": "http"},
        "periodSeconds": 2,
        "failureThreshold": 3,
    }
    container: dict[str, Any] = {
        "name": service.name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": service.port, "protocol": "TCP"}],
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "readinessProbe": probe,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": own.run_as_user,
        },
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR}],
    }
    if own.resources is not None:
        container["resources"] = own.resources.manifest()
    pod_spec: dict[str, Any] = {
        "serviceAccountName": WORKLOAD_ACCOUNT,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "data", "emptyDir": {}}],
    }
    if pull_secret:
        pod_spec["imagePullSecrets"] = [{"name": REGISTRY_PULL_SECRET}]
    pod_spec |= placement(settings, settings.tenant.runtime_class)
    metadata = {"name": service.name, "namespace": namespace, "labels": labels}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": own.replicas,
            "selector": {"matchLabels": names.selector(service.name)},
            "progressDeadlineSeconds": max(int(settings.rollout_timeout), 10),
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": dict(metadata),
        "spec": {
            "selector": names.selector(service.name),
            "ports": [
                {
                    "name": "http",
                    "port": service.port,
                    "targetPort": "http",
                    "protocol": "TCP",
                }
            ],
        },
    }
    return [deployment, svc]


def rollout_done(deployment: Any) -> bool:
    """Whether every wanted replica is updated and available."""
    spec, status = deployment.spec, deployment.status
    if status is None:
        return False
    wanted = spec.replicas if spec.replicas is not None else 1
    generation = deployment.metadata.generation or 0
    return bool(
        (status.observed_generation or 0) >= generation
        and (status.updated_replicas or 0) >= wanted
        and (status.available_replicas or 0) >= wanted
        and (status.replicas or 0) <= wanted
    )


def rollout_failure(
    deployment: Any, pods: Sequence[Any], read_log: LogReader | None = None
) -> str | None:
    """Why the rollout of ``deployment`` cannot finish, or None if it may.

    Args:
        deployment: a ``V1Deployment`` as read from the API.
        pods: its pods (``V1Pod``).
        read_log: ``(pod, container) -> text`` of the previous container's
            log, for the last lines of a crashing container.
    """
    for pod in pods:
        for status in (pod.status.container_statuses or ()) if pod.status else ():
            waiting = status.state.waiting if status.state else None
            if waiting is None or waiting.reason not in _WAITING_FAILURES:
                continue
            found = f"pod {pod.metadata.name}: {waiting.reason}"
            if waiting.message:
                found += f": {waiting.message}"
            if waiting.reason == "CrashLoopBackOff" and read_log is not None:
                text = read_log(pod.metadata.name, status.name)
                found += f"; last log lines: {_tail(text)}"
            return found
        for condition in (pod.status.conditions or ()) if pod.status else ():
            if (
                condition.type == "PodScheduled"
                and condition.status == "False"
                and condition.reason == "Unschedulable"
            ):
                return f"pod {pod.metadata.name}: Unschedulable: {condition.message}"
    for condition in (deployment.status.conditions or ()) if deployment.status else ():
        if condition.type == "ReplicaFailure" and condition.status == "True":
            return f"{condition.reason}: {condition.message}"
        if (
            condition.type == "Progressing"
            and condition.reason == "ProgressDeadlineExceeded"
        ):
            return f"ProgressDeadlineExceeded: {condition.message}"
    return None


def _tail(text: str, lines: int = 5) -> str:
    found = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(found[-lines:]) or "(empty log)"
