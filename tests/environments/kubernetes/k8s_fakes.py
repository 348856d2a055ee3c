"""A recording stand-in for the kubernetes client's API objects.

It answers only the calls the backend makes, with the client's own model
classes, from a small scripted world: what each build and each rollout
does, and whether namespaces go away when deleted. Every call is recorded
in order, so tests can assert what was created when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k
from kubernetes.client.rest import ApiException

from harness.environments.kubernetes.client import Cluster, model_of

DIGEST = "sha256:" + "ab" * 32
RUN_ID = "20250101-120000-abcd"


def container_status(name: str, **state: Any) -> k.V1ContainerStatus:
    restarts = state.pop("restarts", 0)
    return k.V1ContainerStatus(
        name=name,
        image="img",
        image_id="",
        ready=False,
        restart_count=restarts,
        state=k.V1ContainerState(**state),
    )


def pod(
    name: str, labels: dict[str, str], statuses: list[Any] = (), **extra: Any
) -> k.V1Pod:  # type: ignore[assignment]
    return k.V1Pod(
        metadata=k.V1ObjectMeta(name=name, labels=labels),
        spec=k.V1PodSpec(
            containers=[k.V1Container(name=s.name) for s in statuses]
            or [k.V1Container(name="app")]
        ),
        status=k.V1PodStatus(
            container_statuses=list(statuses), conditions=extra.get("conditions")
        ),
    )


def kaniko_pod(job: str, exit_code: int | None, message: str = DIGEST) -> k.V1Pod:
    if exit_code is None:
        state = {"running": k.V1ContainerStateRunning()}
    else:
        state = {
            "terminated": k.V1ContainerStateTerminated(
                exit_code=exit_code,
                message=message,
                reason="Completed" if exit_code == 0 else "Error",
            )
        }
    return pod(f"{job}-x1", {"job-name": job}, [container_status("kaniko", **state)])


def event(
    reason: str, message: str, kind: str = "Job", name: str = "x"
) -> k.CoreV1Event:
    return k.CoreV1Event(
        metadata=k.V1ObjectMeta(name=f"{name}.1"),
        involved_object=k.V1ObjectReference(kind=kind, name=name),
        reason=reason,
        message=message,
        type="Warning",
        last_timestamp=datetime(2025, 1, 1, tzinfo=timezone.utc),
    )


def not_found() -> ApiException:
    return ApiException(status=404, reason="Not Found")


@dataclass
class World:
    """What the stand-in cluster does.

    builds: service → "ok" | "fail" | "refused" | "digest-then-fail"
    rollouts: service → "ok" | a waiting reason | "Unschedulable"
    stuck: namespaces that stay Terminating after delete.
    """

    builds: dict[str, str] = field(default_factory=dict)
    rollouts: dict[str, str] = field(default_factory=dict)
    stuck: set[str] = field(default_factory=set)
    logs: str = "INFO[0001] Retrieving image manifest python:3.12-slim\n"
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)

    def record(self, method: str, kind: str = "", name: str = "") -> None:
        self.calls.append((method, kind, name))

    def created_kinds(self) -> list[str]:
        return [kind for method, kind, _ in self.calls if method.startswith("create")]


class _Api:
    def __init__(self, world: World) -> None:
        self.world = world

    def __getattr__(self, method: str) -> Any:
        if not method.startswith("create_"):
            raise AttributeError(method)

        def create(*args: Any) -> Any:
            body = args[-1]
            manifest = k.ApiClient().sanitize_for_serialization(body)
            self.world.record(method, manifest["kind"], manifest["metadata"]["name"])
            self.world.created.append(manifest)
            return body

        return create


class FakeCore(_Api):
    def read_namespaced_resource_quota(self, name: str, namespace: str) -> Any:
        self.world.record("read_namespaced_resource_quota", "ResourceQuota", name)
        return k.V1ResourceQuota(status=k.V1ResourceQuotaStatus(hard={"pods": "30"}))

    def list_namespaced_pod(self, namespace: str, label_selector: str = "") -> Any:
        self.world.record("list_namespaced_pod", "Pod", label_selector)
        key, _, value = label_selector.partition("=")
        if key == "job-name":
            return k.V1PodList(items=self._build_pods(value))
        deployed = [
            m["metadata"]["name"]
            for m in self.world.created
            if m["kind"] == "Deployment"
        ]
        services = [value] if value else deployed
        return k.V1PodList(items=[p for s in services for p in self._service_pods(s)])

    def _build_pods(self, job: str) -> list[Any]:
        behaviour = self.world.builds.get(job.removeprefix("build-"), "ok")
        if behaviour == "refused":
            return []
        if behaviour == "fail":
            return [kaniko_pod(job, 1, message="")]
        if behaviour == "digest-then-fail":
            return [kaniko_pod(job, 1)]
        return [kaniko_pod(job, 0)]

    def _service_pods(self, service: str) -> list[Any]:
        behaviour = self.world.rollouts.get(service, "ok")
        labels = {"app.kubernetes.io/name": service}
        if behaviour == "ok":
            ready = [k.V1PodCondition(type="Ready", status="True")]
            running = container_status(service, running=k.V1ContainerStateRunning())
            return [pod(f"{service}-1", labels, [running], conditions=ready)]
        if behaviour == "Unschedulable":
            unscheduled = k.V1PodCondition(
                type="PodScheduled",
                status="False",
                reason="Unschedulable",
                message="0/3 nodes are available: 3 Insufficient memory.",
            )
            return [pod(f"{service}-1", labels, [], conditions=[unscheduled])]
        waiting = k.V1ContainerStateWaiting(reason=behaviour, message="back-off")
        return [
            pod(
                f"{service}-1",
                labels,
                [container_status(service, waiting=waiting, restarts=3)],
            )
        ]

    def list_namespaced_event(self, namespace: str, field_selector: str = "") -> Any:
        self.world.record("list_namespaced_event", "Event", field_selector)
        job = field_selector.rpartition("involvedObject.name=")[2]
        items = []
        if job and self.world.builds.get(job.removeprefix("build-")) == "refused":
            items.append(
                event(
                    "FailedCreate",
                    f'Error creating: pods "{job}-x1" is forbidden: violates '
                    'PodSecurity "baseline:latest": privileged (container "kaniko")',
                    name=job,
                )
            )
        return k.CoreV1EventList(items=items)

    def read_namespaced_pod_log(self, name: str, namespace: str, **options: Any) -> str:
        self.world.record("read_namespaced_pod_log", "Pod", name)
        return self.world.logs

    def list_namespace(self, label_selector: str = "") -> Any:
        self.world.record("list_namespace", "Namespace", label_selector)
        return k.V1NamespaceList(items=[])

    def delete_namespace(self, name: str, **options: Any) -> Any:
        self.world.record("delete_namespace", "Namespace", name)
        self.world.deleted.add(name)
        return None

    def read_namespace(self, name: str) -> Any:
        self.world.record("read_namespace", "Namespace", name)
        if name in self.world.deleted and name not in self.world.stuck:
            raise not_found()
        return k.V1Namespace(
            metadata=k.V1ObjectMeta(name=name),
            spec=k.V1NamespaceSpec(finalizers=["kubernetes"]),
            status=k.V1NamespaceStatus(
                phase="Terminating",
                conditions=[
                    k.V1NamespaceCondition(
                        type="NamespaceFinalizersRemaining",
                        status="True",
                        message="Some content has finalizers remaining",
                    )
                ],
            ),
        )


class FakeBatch(_Api):
    def read_namespaced_job(self, name: str, namespace: str) -> Any:
        self.world.record("read_namespaced_job", "Job", name)
        return k.V1Job(metadata=k.V1ObjectMeta(name=name), status=k.V1JobStatus())

    def list_namespaced_job(self, namespace: str) -> Any:
        return k.V1JobList(items=[])


class FakeApps(_Api):
    def read_namespaced_deployment(self, name: str, namespace: str) -> Any:
        self.world.record("read_namespaced_deployment", "Deployment", name)
        done = self.world.rollouts.get(name, "ok") == "ok"
        ready = 1 if done else 0
        return k.V1Deployment(
            metadata=k.V1ObjectMeta(name=name, generation=1),
            spec=k.V1DeploymentSpec(
                replicas=1,
                selector=k.V1LabelSelector(),
                template=k.V1PodTemplateSpec(),
            ),
            status=k.V1DeploymentStatus(
                observed_generation=1,
                replicas=1,
                updated_replicas=1,
                available_replicas=ready,
            ),
        )

    def list_namespaced_deployment(self, namespace: str) -> Any:
        return k.V1DeploymentList(items=[])


class FakeVersion:
    def __init__(self, world: World) -> None:
        self.world = world

    def get_code(self, **options: Any) -> Any:
        self.world.record("get_code")
        return k.VersionInfo(
            build_date="",
            compiler="gc",
            git_commit="",
            git_tree_state="clean",
            git_version="v1.31.0",
            go_version="go1.22",
            major="1",
            minor="31",
            platform="linux/amd64",
        )


def fake_cluster(world: World, *, in_cluster: bool = False) -> Cluster:
    return Cluster(
        core=FakeCore(world),
        apps=FakeApps(world),
        batch=FakeBatch(world),
        networking=_Api(world),
        rbac=_Api(world),
        version=FakeVersion(world),
        target="context fake at https://127.0.0.1:1",
        in_cluster=in_cluster,
    )


class FakeClock:
    """Advances on sleep, so waiting loops end at once and never hang."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def wall(self) -> float:
        return 1_700_000_000.0 + self.t


__all__ = [
    "World",
    "fake_cluster",
    "FakeClock",
    "model_of",
    "DIGEST",
    "write_kubeconfig",
]


def write_kubeconfig(folder: Path, server: str) -> Path:
    """A kubeconfig whose one context, ``recorded``, points at ``server``."""
    path = folder / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "recorded", "cluster": {"server": server}}],
                "users": [{"name": "tester", "user": {"token": "t0ken-not-real"}}],
                "contexts": [
                    {
                        "name": "recorded",
                        "context": {"cluster": "recorded", "user": "tester"},
                    }
                ],
                "current-context": "recorded",
            }
        )
    )
    return path
