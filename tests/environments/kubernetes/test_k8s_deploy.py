"""Deployments and Services from system.yaml, and why a rollout failed."""

from __future__ import annotations

from k8s_fakes import container_status, pod
from kubernetes import client as k

from harness.environments.kubernetes.deploy import (
    render_service,
    rollout_done,
    rollout_failure,
)
from harness.environments.kubernetes.settings import (
    KubernetesSettings,
    ServiceSettings,
    TenantSettings,
)
from harness.model import Pipeline

NS = "cdh-ci-run"


def _render(
    pipeline: Pipeline, name: str, settings: KubernetesSettings | None = None
) -> tuple[dict, dict]:
    system = pipeline.system
    deployment, service = render_service(
        system.services[name],
        system.services,
        namespace=NS,
        image=f"reg.invalid/shop/{name}@sha256:" + "0" * 64,
        run_id="run",
        settings=settings or KubernetesSettings(),
    )
    return deployment, service


def _container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_service_urls_in_env_point_at_cluster_dns(pipeline: Pipeline) -> None:
    deployment, _ = _render(pipeline, "storefront")

    env = {e["name"]: e["value"] for e in _container(deployment)["env"]}
    assert env["CATALOG_URL"] == f"http://catalog.{NS}.svc.cluster.local:8080"
    assert env["ORDERS_URL"] == f"http://orders.{NS}.svc.cluster.local:8080"
    assert env["PORT"] == "8080" and env["HOST"] == "0.0.0.0"


def test_data_placeholder_lands_on_a_writable_volume(pipeline: Pipeline) -> None:
    deployment, _ = _render(pipeline, "orders")

    container = _container(deployment)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["ORDERS_DATABASE_URL"] == "sqlite:////var/lib/cdh/data/orders.sqlite"
    assert container["volumeMounts"] == [
        {"name": "data", "mountPath": "/var/lib/cdh/data"}
    ]


def test_pods_meet_the_restricted_pod_security_level(pipeline: Pipeline) -> None:
    deployment, _ = _render(pipeline, "catalog")

    spec = deployment["spec"]["template"]["spec"]
    context = _container(deployment)["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert isinstance(context["runAsUser"], int) and context["runAsUser"] > 0
    assert spec["automountServiceAccountToken"] is False


def test_readiness_probe_uses_the_health_path_and_service_targets_the_port(
    pipeline: Pipeline,
) -> None:
    deployment, service = _render(pipeline, "catalog")

    probe = _container(deployment)["readinessProbe"]["httpGet"]
    assert probe == {"path": "/health", "port": "http"}
    assert _container(deployment)["ports"][0]["containerPort"] == 8080
    assert service["spec"]["ports"][0]["port"] == 8080
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_node_isolation_runtime_class_and_service_resources(pipeline: Pipeline) -> None:
    from harness.environments.kubernetes.settings import Resources

    settings = KubernetesSettings(
        tenant=TenantSettings(
            node_selector={"tenant": "shop"},
            tolerations=(
                {
                    "key": "tenant",
                    "operator": "Equal",
                    "value": "shop",
                    "effect": "NoSchedule",
                },
            ),
            runtime_class="gvisor",
        ),
        services={
            "catalog": ServiceSettings(replicas=2, resources=Resources({"cpu": "200m"}))
        },
    )
    deployment, _ = _render(pipeline, "catalog", settings)

    spec = deployment["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"tenant": "shop"}
    assert spec["tolerations"][0]["key"] == "tenant"
    assert spec["runtimeClassName"] == "gvisor"
    assert deployment["spec"]["replicas"] == 2
    assert _container(deployment)["resources"] == {"requests": {"cpu": "200m"}}


# --- rollout failure reasons, from the client's own model objects -------------


def _deployment(
    available: int = 0, *conditions: k.V1DeploymentCondition
) -> k.V1Deployment:
    return k.V1Deployment(
        metadata=k.V1ObjectMeta(name="orders", generation=2),
        spec=k.V1DeploymentSpec(
            replicas=1, selector=k.V1LabelSelector(), template=k.V1PodTemplateSpec()
        ),
        status=k.V1DeploymentStatus(
            observed_generation=2,
            replicas=1,
            updated_replicas=1,
            available_replicas=available,
            conditions=list(conditions) or None,
        ),
    )


def _waiting(reason: str, message: str = "") -> k.V1Pod:
    waiting = k.V1ContainerStateWaiting(reason=reason, message=message)
    return pod(
        "orders-abc", {}, [container_status("orders", waiting=waiting, restarts=4)]
    )


def test_image_pull_back_off_is_named() -> None:
    reason = rollout_failure(
        _deployment(), [_waiting("ImagePullBackOff", 'Back-off pulling image "x"')]
    )

    assert reason == 'pod orders-abc: ImagePullBackOff: Back-off pulling image "x"'


def test_crash_loop_includes_the_last_log_lines() -> None:
    calls = []

    def read_log(pod_name: str, container: str) -> str:
        calls.append((pod_name, container))
        return "starting\nTraceback (most recent call last)\nKeyError: 'CATALOG_URL'\n"

    reason = rollout_failure(_deployment(), [_waiting("CrashLoopBackOff")], read_log)

    assert reason is not None and reason.startswith("pod orders-abc: CrashLoopBackOff")
    assert "KeyError: 'CATALOG_URL'" in reason
    assert calls == [("orders-abc", "orders")]


def test_unschedulable_pod_is_named_with_the_schedulers_message() -> None:
    condition = k.V1PodCondition(
        type="PodScheduled",
        status="False",
        reason="Unschedulable",
        message="0/3 nodes are available",
    )
    pending = pod("orders-abc", {}, [], conditions=[condition])

    assert rollout_failure(_deployment(), [pending]) == (
        "pod orders-abc: Unschedulable: 0/3 nodes are available"
    )


def test_quota_refusal_is_read_from_the_deployments_replica_failure() -> None:
    refused = k.V1DeploymentCondition(
        type="ReplicaFailure",
        status="True",
        reason="FailedCreate",
        message='pods "orders-abc" is forbidden: exceeded quota: cdh-quota, '
        "requested: limits.memory=512Mi",
    )

    reason = rollout_failure(_deployment(0, refused), [])

    assert reason is not None and "exceeded quota" in reason


def test_a_pod_still_starting_is_no_failure() -> None:
    creating = _waiting("ContainerCreating")

    assert rollout_failure(_deployment(), [creating]) is None


def test_rollout_done_needs_every_replica_available_for_the_current_generation() -> (
    None
):
    assert rollout_done(_deployment(1))
    assert not rollout_done(_deployment(0))
    stale = _deployment(1)
    stale.status.observed_generation = 1
    assert not rollout_done(stale)
