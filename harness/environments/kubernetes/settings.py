"""The ``kubernetes:`` section of ``system.yaml``: every knob of the backend.

The section is optional; without it the defaults below apply, which is
enough for ``cdh render`` (images then point at ``registry.invalid``, a
name that never resolves). A run needs at least ``registry.destination``.

::

    kubernetes:
      context: kind-cdh                  # --context overrides
      access: auto                       # port-forward | cluster-dns | auto
      registry:
        destination: registry.example:5000/shop   # images: <destination>/<service>
        auth_file: ~/.docker/config.json          # becomes a dockerconfigjson Secret
      builder:
        executor: gcr.io/kaniko-project/executor:v1.23.2
        cache: true
        cache_repo: registry.example:5000/shop/cache
        build_args: {PIP_INDEX_URL: "https://pypi.example/simple"}
      tenant:
        ttl: 2h
        quota: {requests.cpu: "4", limits.memory: 8Gi}
        node_selector: {tenant: cdh}
        runtime_class: gvisor
      services:
        orders: {replicas: 2, run_as_user: 10001}
      load:                              # a load stage's workers: N, in the tenant
        image: docker.io/locustio/locust:2.47.0
        resources: {requests: {cpu: 500m}, limits: {cpu: "1"}}   # each worker
        master_resources: {requests: {cpu: 250m}}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness._yaml import Entry, read_document

DEFAULT_EXECUTOR = "gcr.io/kaniko-project/executor:v1.23.2"
DEFAULT_LOAD_IMAGE = "docker.io/locustio/locust:2.47.0"
PLACEHOLDER_REGISTRY = "registry.invalid/cdh"
ACCESS_MODES = ("auto", "port-forward", "cluster-dns")

_T = TypeVar("_T")


@dataclass(frozen=True)
class Resources:
    """Container requests and limits, e.g. ``{"cpu": "100m"}``."""

    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)

    def manifest(self) -> dict[str, dict[str, str]]:
        found = {"requests": self.requests, "limits": self.limits}
        return {key: dict(value) for key, value in found.items() if value}


@dataclass(frozen=True)
class S3Settings:
    """An S3-compatible bucket (AWS, MinIO, Ceph, OCI's compatibility API).

    Credentials come from the runner's usual AWS variables, never the file.
    """

    bucket: str
    prefix: str = "cdh"
    endpoint: str | None = None
    region: str = "us-east-1"


@dataclass(frozen=True)
class RegistrySettings:
    destination: str | None = None
    auth_file: Path | None = None
    insecure: bool = False


@dataclass(frozen=True)
class BuilderSettings:
    """How images are built. ``executor`` may name any kaniko-compatible fork."""

    executor: str = DEFAULT_EXECUTOR
    push: bool = True
    cache: bool = False
    cache_repo: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    resources: Resources = field(
        default_factory=lambda: Resources(
            {"cpu": "500m", "memory": "1Gi"}, {"cpu": "2", "memory": "4Gi"}
        )
    )
    timeout: float = 900.0
    inline_limit: int = 700_000
    s3: S3Settings | None = None
    egress_ports: tuple[int, ...] = (443,)
    runtime_class: str | None = None


@dataclass(frozen=True)
class TenantSettings:
    """Isolation of one run's namespaces."""

    owner: str = "cd-harness"
    ttl: float = 7200.0
    runner_namespace: str | None = None
    quota: dict[str, str] = field(
        default_factory=lambda: {
            "requests.cpu": "4",
            "requests.memory": "8Gi",
            "limits.cpu": "8",
            "limits.memory": "16Gi",
            "pods": "30",
        }
    )
    default_request: dict[str, str] = field(
        default_factory=lambda: {"cpu": "100m", "memory": "128Mi"}
    )
    default_limit: dict[str, str] = field(
        default_factory=lambda: {"cpu": "500m", "memory": "512Mi"}
    )
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    runtime_class: str | None = None


@dataclass(frozen=True)
class ServiceSettings:
    replicas: int = 1
    run_as_user: int = 10001
    resources: Resources | None = None
    build_args: dict[str, str] = field(default_factory=dict)


def _load_resources() -> Resources:
    return Resources(
        {"cpu": "500m", "memory": "256Mi"}, {"cpu": "1", "memory": "512Mi"}
    )


@dataclass(frozen=True)
class LoadPodSettings:
    """Pods of a distributed load stage (``workers: N``) in the tenant.

    ``image`` must hold the locust version the runner has (the master and
    workers speak locust's own protocol) and run as a non-root uid.
    """

    image: str = DEFAULT_LOAD_IMAGE
    worker_resources: Resources = field(default_factory=_load_resources)
    master_resources: Resources = field(default_factory=_load_resources)
    run_as_user: int = 1000


@dataclass(frozen=True)
class KubernetesSettings:
    """Everything the Kubernetes backend reads from ``system.yaml``."""

    source: str = ""
    context: str | None = None
    access: str = "auto"
    cluster_domain: str = "cluster.local"
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    builder: BuilderSettings = field(default_factory=BuilderSettings)
    tenant: TenantSettings = field(default_factory=TenantSettings)
    services: dict[str, ServiceSettings] = field(default_factory=dict)
    rollout_timeout: float = 180.0
    delete_timeout: float = 120.0
    logs: S3Settings | None = None
    load: LoadPodSettings = field(default_factory=LoadPodSettings)

    def service(self, name: str) -> ServiceSettings:
        return self.services.get(name, ServiceSettings())

    @property
    def destination(self) -> str:
        return (self.registry.destination or PLACEHOLDER_REGISTRY).rstrip("/")


def load_settings(path: Path, services: Collection[str] = ()) -> KubernetesSettings:
    """Read the ``kubernetes:`` section of the system file at ``path``.

    Args:
        path: the system file.
        services: the system's service names, to check ``services:`` keys.

    Raises:
        ConfigError: the section is malformed, naming file and line.
    """
    source = str(path)
    root = read_document(path, source)
    if root is None:
        return KubernetesSettings(source=source)
    entry = root.mapping().get("kubernetes")
    if entry is None:
        return KubernetesSettings(source=source)
    return parse_settings(entry, services)


def parse_settings(entry: Entry, services: Collection[str] = ()) -> KubernetesSettings:
    """The settings in one ``kubernetes:`` node (for config.py to call)."""
    keys = (
        "context",
        "access",
        "cluster_domain",
        "registry",
        "builder",
        "tenant",
        "services",
        "rollout_timeout",
        "delete_timeout",
        "logs",
        "load",
    )
    fields = entry.mapping(keys)
    access = _get(fields, "access", Entry.text, "auto")
    if access not in ACCESS_MODES:
        raise fields["access"].error(
            f"{fields['access'].name}: unknown access {access!r}",
            f"use one of: {', '.join(ACCESS_MODES)}",
        )
    return KubernetesSettings(
        source=entry.source,
        context=_get(fields, "context", Entry.text, None),
        access=access,
        cluster_domain=_get(fields, "cluster_domain", Entry.text, "cluster.local"),
        registry=_get(fields, "registry", _registry, RegistrySettings()),
        builder=_get(fields, "builder", _builder, BuilderSettings()),
        tenant=_get(fields, "tenant", _tenant, TenantSettings()),
        services=_get(fields, "services", lambda e: _services(e, services), {}),
        rollout_timeout=_get(fields, "rollout_timeout", Entry.duration, 180.0),
        delete_timeout=_get(fields, "delete_timeout", Entry.duration, 120.0),
        logs=_get(fields, "logs", _s3, None),
        load=_get(fields, "load", _load, LoadPodSettings()),
    )


def _get(
    fields: Mapping[str, Entry], key: str, read: Callable[[Entry], _T], default: _T
) -> _T:
    entry = fields.get(key)
    return default if entry is None else read(entry)


def _strings(entry: Entry) -> dict[str, str]:
    return {k: v.as_text() for k, v in entry.mapping().items()}


def _resources(entry: Entry) -> Resources:
    fields = entry.mapping(("requests", "limits"))
    return Resources(
        requests=_get(fields, "requests", _strings, {}),
        limits=_get(fields, "limits", _strings, {}),
    )


def _s3(entry: Entry) -> S3Settings:
    fields = entry.mapping(("bucket", "prefix", "endpoint", "region"), ("bucket",))
    return S3Settings(
        bucket=fields["bucket"].text(),
        prefix=_get(fields, "prefix", Entry.text, "cdh").strip("/"),
        endpoint=_get(fields, "endpoint", Entry.text, None),
        region=_get(fields, "region", Entry.text, "us-east-1"),
    )


def _registry(entry: Entry) -> RegistrySettings:
    fields = entry.mapping(("destination", "auth_file", "insecure"))
    auth = _get(fields, "auth_file", Entry.text, None)
    return RegistrySettings(
        destination=_get(fields, "destination", Entry.text, None),
        auth_file=Path(auth).expanduser() if auth else None,
        insecure=_get(fields, "insecure", Entry.boolean, False),
    )


def _builder(entry: Entry) -> BuilderSettings:
    keys = (
        "executor",
        "push",
        "cache",
        "cache_repo",
        "build_args",
        "resources",
        "timeout",
        "inline_limit",
        "s3",
        "egress_ports",
        "runtime_class",
    )
    fields = entry.mapping(keys)
    default = BuilderSettings()
    ports = _get(fields, "egress_ports", lambda e: e.items(), None)
    return BuilderSettings(
        executor=_get(fields, "executor", Entry.text, default.executor),
        push=_get(fields, "push", Entry.boolean, True),
        cache=_get(fields, "cache", Entry.boolean, False),
        cache_repo=_get(fields, "cache_repo", Entry.text, None),
        build_args=_get(fields, "build_args", _strings, {}),
        resources=_get(fields, "resources", _resources, default.resources),
        timeout=_get(fields, "timeout", Entry.duration, default.timeout),
        inline_limit=_get(
            fields, "inline_limit", lambda e: e.integer(0), default.inline_limit
        ),
        s3=_get(fields, "s3", _s3, None),
        egress_ports=(
            tuple(p.integer(1, 65535) for p in ports)
            if ports is not None
            else default.egress_ports
        ),
        runtime_class=_get(fields, "runtime_class", Entry.text, None),
    )


def _load(entry: Entry) -> LoadPodSettings:
    keys = ("image", "resources", "master_resources", "run_as_user")
    fields = entry.mapping(keys)
    default = LoadPodSettings()
    return LoadPodSettings(
        image=_get(fields, "image", Entry.text, default.image),
        worker_resources=_get(fields, "resources", _resources, _load_resources()),
        master_resources=_get(
            fields, "master_resources", _resources, _load_resources()
        ),
        run_as_user=_get(fields, "run_as_user", lambda e: e.integer(1), 1000),
    )


def _tenant(entry: Entry) -> TenantSettings:
    keys = (
        "owner",
        "ttl",
        "runner_namespace",
        "quota",
        "default_request",
        "default_limit",
        "node_selector",
        "tolerations",
        "runtime_class",
    )
    fields = entry.mapping(keys)
    default = TenantSettings()
    return TenantSettings(
        owner=_get(fields, "owner", Entry.text, default.owner),
        ttl=_get(fields, "ttl", Entry.duration, default.ttl),
        runner_namespace=_get(fields, "runner_namespace", Entry.text, None),
        quota=_get(fields, "quota", _strings, default.quota),
        default_request=_get(
            fields, "default_request", _strings, default.default_request
        ),
        default_limit=_get(fields, "default_limit", _strings, default.default_limit),
        node_selector=_get(fields, "node_selector", _strings, {}),
        tolerations=_get(fields, "tolerations", _tolerations, ()),
        runtime_class=_get(fields, "runtime_class", Entry.text, None),
    )


def _tolerations(entry: Entry) -> tuple[dict[str, Any], ...]:
    allowed = ("key", "operator", "value", "effect", "tolerationSeconds")
    found = []
    for item in entry.items("a list of tolerations"):
        fields = item.mapping(allowed, ("key",))
        toleration: dict[str, Any] = {k: v.as_text() for k, v in fields.items()}
        if "tolerationSeconds" in fields:
            toleration["tolerationSeconds"] = fields["tolerationSeconds"].integer(0)
        found.append(toleration)
    return tuple(found)


def _services(entry: Entry, known: Collection[str]) -> dict[str, ServiceSettings]:
    result: dict[str, ServiceSettings] = {}
    for name, item in entry.mapping().items():
        if known and name not in known:
            raise item.key_error(
                f"{entry.name}: unknown service {name!r}",
                f"use one of: {', '.join(known)}",
            )
        fields = item.mapping(("replicas", "run_as_user", "resources", "build_args"))
        result[name] = ServiceSettings(
            replicas=_get(fields, "replicas", lambda e: e.integer(1, 50), 1),
            run_as_user=_get(fields, "run_as_user", lambda e: e.integer(1), 10001),
            resources=_get(fields, "resources", _resources, None),
            build_args=_get(fields, "build_args", _strings, {}),
        )
    return result
