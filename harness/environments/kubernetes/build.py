"""Images built in the cluster: the builder interface and its kaniko Job.

A :class:`Builder` renders what one image build needs and judges how it
went from the objects the API server reports. :class:`KanikoBuilder` runs
the kaniko executor; the image is a setting (``builder.executor``) because
kaniko was archived upstream in 2025 and maintained forks carry it on. A
BuildKit builder can implement the same two methods.

kaniko writes the pushed image's digest to ``/dev/termination-log``, which
Kubernetes reports as the container's termination message. kaniko writes
that file *before* it pushes, so a digest counts only when the container
exited 0.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.environments.kubernetes import names
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.environments.kubernetes.tenant import BUILDER_ACCOUNT, Manifest
from harness.errors import ConfigError

CONTAINER = "kaniko"
REGISTRY_SECRET = "cdh-registry"
S3_SECRET = "cdh-s3-credentials"
DOCKER_CONFIG_DIR = "/kaniko/.docker"
CONTEXT_DIR = "/kaniko/cdh-context"
CONTEXT_FILE = "context.tar.gz"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName")
# FailedCreate messages that clear up on their own: the Job controller retries.
_TRANSIENT = ("exceeded quota", "status unknown for quota")

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True)
class BuildRequest:
    """One image to build.

    Attributes:
        context: where kaniko reads the context: ``inline`` (a ConfigMap
            named :attr:`context_config_map`) or an ``s3://`` URL.
    """

    service: str
    namespace: str
    repository: str
    tag: str
    context: str = "inline"
    build_args: dict[str, str] = field(default_factory=dict)
    registry_secret: bool = False
    s3_secret: bool = False

    @property
    def job_name(self) -> str:
        return f"build-{self.service}"[: names.MAX_NAME].rstrip("-")

    @property
    def context_config_map(self) -> str:
        return f"cdh-context-{self.service}"[: names.MAX_NAME].rstrip("-")

    @property
    def image(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class BuildOutcome:
    """Where a build stands: ``running``, ``succeeded`` or ``failed``."""

    state: str
    digest: str | None = None
    reason: str = ""


class Builder(Protocol):
    """What the environment needs from an image builder."""

    def render(self, request: BuildRequest) -> list[Manifest]:
        """The objects to create for ``request`` (the Job last)."""

    def outcome(
        self, job: Any, pods: Sequence[Any], events: Sequence[Any]
    ) -> BuildOutcome:
        """Judge a build from its Job, the Job's pods and events on the Job."""


class KanikoBuilder:
    """Builds with the kaniko executor as a Kubernetes Job."""

    def __init__(self, settings: KubernetesSettings) -> None:
        self.settings = settings
        check_options(settings)

    def render(self, request: BuildRequest) -> list[Manifest]:
        return [render_job(request, self.settings)]

    def outcome(
        self, job: Any, pods: Sequence[Any], events: Sequence[Any]
    ) -> BuildOutcome:
        return build_outcome(job, pods, events)


def check_options(settings: KubernetesSettings) -> None:
    """Reject builder option combinations kaniko mishandles.

    Raises:
        ConfigError: ``cache`` without ``push`` and without ``cache_repo``
            (kaniko would derive the cache repository from a destination it
            never pushes to).
    """
    builder = settings.builder
    if builder.cache and not builder.push and not builder.cache_repo:
        raise ConfigError(
            settings.source or "system.yaml",
            None,
            "kubernetes.builder: cache: true with push: false needs cache_repo",
            "set kubernetes.builder.cache_repo to a repository kaniko may push "
            "cache layers to, or turn cache off",
        )


def kaniko_args(request: BuildRequest, settings: KubernetesSettings) -> list[str]:
    """The executor's arguments for one build."""
    builder = settings.builder
    if request.context == "inline":
        context = f"tar://{CONTEXT_DIR}/{CONTEXT_FILE}"
    else:
        context = request.context
    args = [
        f"--context={context}",
        "--dockerfile=Dockerfile",
        f"--destination={request.image}",
        "--digest-file=/dev/termination-log",
    ]
    build_args = {**builder.build_args, **request.build_args}
    args += [f"--build-arg={k}={v}" for k, v in sorted(build_args.items())]
    if builder.cache:
        args.append("--cache=true")
        if builder.cache_repo:
            args.append(f"--cache-repo={builder.cache_repo}")
    if not builder.push:
        # Without --no-push-cache kaniko still pushes cache layers.
        args += ["--no-push", "--no-push-cache"]
    if settings.registry.insecure:
        args += ["--insecure", "--skip-tls-verify"]
    args.append("--verbosity=info")
    return args


def render_job(request: BuildRequest, settings: KubernetesSettings) -> Manifest:
    """The kaniko Job for one build.

    Nothing is mounted at ``/workspace``: kaniko prefers a Dockerfile it
    finds there over the one in the context.
    """
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    env: list[dict[str, Any]] = [{"name": "DOCKER_CONFIG", "value": DOCKER_CONFIG_DIR}]
    env_from: list[dict[str, Any]] = []

    if request.registry_secret:
        volumes.append(
            {
                "name": "docker-config",
                "secret": {
                    "secretName": REGISTRY_SECRET,
                    "items": [{"key": ".dockerconfigjson", "path": "config.json"}],
                },
            }
        )
        mounts.append(
            {"name": "docker-config", "mountPath": DOCKER_CONFIG_DIR, "readOnly": True}
        )
    if request.context == "inline":
        volumes.append(
            {"name": "context", "configMap": {"name": request.context_config_map}}
        )
        mounts.append({"name": "context", "mountPath": CONTEXT_DIR, "readOnly": True})
    else:
        env += _s3_env(settings)
        if request.s3_secret:
            env_from.append({"secretRef": {"name": S3_SECRET}})

    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": settings.builder.executor,
        "args": kaniko_args(request, settings),
        "env": env,
        "resources": settings.builder.resources.manifest(),
        "terminationMessagePolicy": "File",
        "volumeMounts": mounts,
    }
    if env_from:
        container["envFrom"] = env_from
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": BUILDER_ACCOUNT,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }
    pod_spec |= placement(settings, settings.builder.runtime_class)
    labels = {names.SERVICE: request.service, names.MANAGED_BY: names.MANAGER}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": request.job_name,
            "namespace": request.namespace,
            "labels": labels,
        },
        "spec": {
            # One attempt: a retried build hides the first failure's log.
            "backoffLimit": 0,
            "activeDeadlineSeconds": int(settings.builder.timeout),
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def placement(
    settings: KubernetesSettings, runtime_class: str | None
) -> dict[str, Any]:
    """Node isolation and sandboxing fields for a pod spec."""
    found: dict[str, Any] = {}
    if settings.tenant.node_selector:
        found["nodeSelector"] = dict(settings.tenant.node_selector)
    if settings.tenant.tolerations:
        found["tolerations"] = [dict(t) for t in settings.tenant.tolerations]
    if runtime_class:
        found["runtimeClassName"] = runtime_class
    return found


def _s3_env(settings: KubernetesSettings) -> list[dict[str, Any]]:
    s3 = settings.builder.s3
    if s3 is None:
        return []
    env = [{"name": "AWS_REGION", "value": s3.region}]
    if s3.endpoint:
        env += [
            {"name": "S3_ENDPOINT", "value": s3.endpoint},
            {"name": "S3_FORCE_PATH_STYLE", "value": "true"},
        ]
    return env


def context_config_map(request: BuildRequest, packed: bytes) -> Manifest:
    """The ConfigMap that carries a small context to kaniko."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": request.context_config_map,
            "namespace": request.namespace,
            "labels": {names.MANAGED_BY: names.MANAGER},
        },
        "binaryData": {CONTEXT_FILE: base64.b64encode(packed).decode()},
    }


def registry_config(
    settings: KubernetesSettings, environ: Mapping[str, str] = os.environ
) -> bytes | None:
    """The Docker config.json kaniko pushes with, or None for anonymous.

    Read from ``registry.auth_file``, or built from the variables
    ``CDH_REGISTRY_USERNAME`` and ``CDH_REGISTRY_PASSWORD``.

    Raises:
        ConfigError: the file cannot be read or holds no ``auths``.
    """
    source = settings.source or "system.yaml"
    path = settings.registry.auth_file
    if path is not None:
        return _read_auth_file(path, source)
    user = environ.get("CDH_REGISTRY_USERNAME")
    password = environ.get("CDH_REGISTRY_PASSWORD")
    if not (user and password):
        return None
    host = settings.destination.split("/", 1)[0]
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return json.dumps({"auths": {host: {"auth": token}}}, sort_keys=True).encode()


def _read_auth_file(path: Path, source: str) -> bytes:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(
            source,
            None,
            f"kubernetes.registry.auth_file {path}: cannot read it ({error})",
            "point it at a Docker config.json",
        ) from None
    if not isinstance(data, dict) or not data.get("auths"):
        raise ConfigError(
            source,
            None,
            f"kubernetes.registry.auth_file {path} has no 'auths' entries "
            "(credential helpers cannot travel into the cluster)",
            "write one with `docker login --config DIR` or set "
            "CDH_REGISTRY_USERNAME and CDH_REGISTRY_PASSWORD",
        )
    return json.dumps({"auths": data["auths"]}, sort_keys=True).encode()


def registry_secret(namespace: str, config: bytes) -> Manifest:
    """A ``kubernetes.io/dockerconfigjson`` Secret holding ``config``."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": REGISTRY_SECRET,
            "namespace": namespace,
            "labels": {names.MANAGED_BY: names.MANAGER},
        },
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config).decode()},
    }


def digest_of(pod: Any) -> str | None:
    """The image digest kaniko reported, if its container exited 0."""
    for status in (pod.status.container_statuses or ()) if pod.status else ():
        if status.name != CONTAINER:
            continue
        terminated = status.state.terminated if status.state else None
        if terminated is None or terminated.exit_code != 0:
            return None
        message = (terminated.message or "").strip()
        return message if DIGEST.match(message) else None
    return None


def build_outcome(job: Any, pods: Sequence[Any], events: Sequence[Any]) -> BuildOutcome:
    """Judge a kaniko Job from what the API server reports.

    A Job the API accepted whose pods admission refuses (Pod Security, a
    missing ServiceAccount) never gets a pod; the refusal is only in the
    Job's ``FailedCreate`` events, so those fail the build here instead of
    leaving it to time out.
    """
    for pod in pods:
        verdict = _pod_verdict(pod)
        if verdict is not None:
            return verdict
    for condition in (job.status.conditions or ()) if job.status else ():
        if condition.type == "Failed" and condition.status == "True":
            return BuildOutcome(
                FAILED,
                reason=f"the build Job failed: {condition.reason}: {condition.message}",
            )
    if not pods:
        for event in events:
            message = event.message or ""
            if event.reason == "FailedCreate" and not any(
                t in message for t in _TRANSIENT
            ):
                return BuildOutcome(
                    FAILED, reason=f"the cluster refused the build pod: {message}"
                )
    return BuildOutcome(RUNNING, reason=_pending_reason(pods, events))


def _pod_verdict(pod: Any) -> BuildOutcome | None:
    for status in (pod.status.container_statuses or ()) if pod.status else ():
        if status.name != CONTAINER or status.state is None:
            continue
        terminated = status.state.terminated
        waiting = status.state.waiting
        if terminated is not None:
            if terminated.exit_code != 0:
                return BuildOutcome(
                    FAILED,
                    reason=f"kaniko exited with code {terminated.exit_code} "
                    f"({terminated.reason or 'Error'})",
                )
            digest = digest_of(pod)
            if digest is None:
                return BuildOutcome(
                    FAILED,
                    reason="kaniko exited 0 but reported no image digest "
                    f"(termination message {terminated.message!r})",
                )
            return BuildOutcome(SUCCEEDED, digest=digest)
        if waiting is not None and waiting.reason in PULL_FAILURES:
            return BuildOutcome(
                FAILED,
                reason=f"the executor image cannot be pulled ({waiting.reason}: "
                f"{waiting.message}) — check kubernetes.builder.executor",
            )
    return None


def _pending_reason(pods: Sequence[Any], events: Sequence[Any]) -> str:
    for pod in pods:
        for condition in (pod.status.conditions or ()) if pod.status else ():
            if condition.type == "PodScheduled" and condition.status == "False":
                return f"pod not scheduled: {condition.message}"
    if events:
        return f"{events[-1].reason}: {events[-1].message}"
    return "no build pod yet" if not pods else "building"
