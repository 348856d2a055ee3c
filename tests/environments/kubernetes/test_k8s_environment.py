"""KubernetesEnvironment driven against a recording stand-in of the client."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from k8s_fakes import DIGEST, RUN_ID, FakeClock, World, fake_cluster

from harness.environments.base import Deployment
from harness.environments.kubernetes.cleanup import Clock
from harness.environments.kubernetes.environment import KubernetesEnvironment
from harness.environments.kubernetes.settings import (
    KubernetesSettings,
    RegistrySettings,
)
from harness.environments.kubernetes.tenant import ISOLATION_KINDS
from harness.errors import ConfigError, EnvironmentError_
from harness.model import Pipeline

TENANT_NS = f"cdh-ci-{RUN_ID}"
BUILD_NS = f"{TENANT_NS}-build"
WORKLOADS = ("Job", "Deployment", "Service")


def _env(
    tmp_path: Path,
    world: World,
    settings: KubernetesSettings,
    *,
    keep: bool = False,
    environ: dict[str, str] | None = None,
    in_cluster: bool = False,
) -> KubernetesEnvironment:
    fake = FakeClock()
    return KubernetesEnvironment(
        tmp_path,
        RUN_ID,
        pipeline="ci",
        keep_on_failure=keep,
        settings=settings,
        connector=lambda context: fake_cluster(world, in_cluster=in_cluster),
        clock=Clock(now=fake.now, sleep=fake.sleep, wall=fake.wall),
        environ=environ or {},
    )


def test_every_isolation_object_is_created_before_any_workload(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()

    _env(tmp_path, world, settings).deploy(pipeline.system)

    kinds = world.created_kinds()
    first_workload = min(kinds.index(kind) for kind in WORKLOADS)
    last_isolation = max(i for i, kind in enumerate(kinds) if kind in ISOLATION_KINDS)
    assert last_isolation < first_workload
    assert kinds.count("Namespace") == 2 and kinds[0] == "Namespace"
    # both quotas were in force before the first build was created
    quota_reads = [
        i for i, c in enumerate(world.calls) if c[0] == "read_namespaced_resource_quota"
    ]
    first_job = next(
        i
        for i, c in enumerate(world.calls)
        if c[1] == "Job" and c[0].startswith("create")
    )
    assert len(quota_reads) == 2 and max(quota_reads) < first_job
    # Deployments only after every build reported its digest
    last_job_read = max(
        i for i, c in enumerate(world.calls) if c[0] == "read_namespaced_job"
    )
    first_deployment = next(
        i for i, c in enumerate(world.calls) if c[1] == "Deployment"
    )
    assert last_job_read < first_deployment


def test_each_namespace_is_created_before_the_objects_inside_it(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()

    _env(tmp_path, world, settings).deploy(pipeline.system)

    seen: set[str] = set()
    for manifest in world.created:
        namespace = manifest["metadata"].get("namespace")
        if manifest["kind"] == "Namespace":
            seen.add(manifest["metadata"]["name"])
        else:
            assert namespace in seen, manifest["kind"]


def test_deploy_pins_digests_and_reports_cluster_dns_urls(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()

    deployment = _env(tmp_path, world, settings).deploy(pipeline.system)

    assert isinstance(deployment, Deployment)
    assert deployment.tenant == TENANT_NS and deployment.access == "cluster-dns"
    assert (
        deployment.url("orders") == f"http://orders.{TENANT_NS}.svc.cluster.local:8080"
    )
    images = [
        m["spec"]["template"]["spec"]["containers"][0]["image"]
        for m in world.created
        if m["kind"] == "Deployment"
    ]
    assert images == [
        f"registry.invalid:5000/shop/{s}@{DIGEST}"
        for s in ("catalog", "orders", "storefront")
    ]
    assert (tmp_path / "builds" / "orders.log").read_text().startswith("INFO[0001]")


def test_port_forward_access_gives_loopback_urls_and_stops_on_teardown(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    settings = KubernetesSettings(
        access="auto",
        registry=RegistrySettings(destination="registry.invalid:5000/shop"),
    )
    env = _env(tmp_path, World(), settings)

    deployment = env.deploy(pipeline.system)
    env.teardown()

    assert deployment.access == "port-forward"
    assert all(
        url.startswith("http://127.0.0.1:") for url in deployment.services.values()
    )
    assert not env._forwards


def test_build_pod_refused_by_pod_security_is_a_clear_failure_not_a_hang(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World(builds={"orders": "refused"})
    env = _env(tmp_path, world, settings)

    with pytest.raises(EnvironmentError_) as caught:
        env.deploy(pipeline.system)

    message = str(caught.value)
    assert message.startswith(
        "build of orders failed: the cluster refused the build pod"
    )
    assert "violates PodSecurity" in message
    assert not any(c[1] == "Deployment" for c in world.calls)
    assert env.failed
    assert (tmp_path / "debug" / BUILD_NS / "events.txt").exists()


def test_failed_build_reports_kanikos_last_lines(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World(
        builds={"catalog": "digest-then-fail"},
        logs="step 1\nerror pushing image: 401\n",
    )

    with pytest.raises(
        EnvironmentError_, match=r"exited with code 1.*error pushing image: 401"
    ):
        _env(tmp_path, world, settings).deploy(pipeline.system)


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("ImagePullBackOff", "ImagePullBackOff"),
        ("CrashLoopBackOff", "CrashLoopBackOff: back-off; last log lines:"),
        ("Unschedulable", "Unschedulable: 0/3 nodes are available"),
    ],
)
def test_rollout_failures_name_the_reason(
    pipeline: Pipeline,
    settings: KubernetesSettings,
    tmp_path: Path,
    behaviour: str,
    expected: str,
) -> None:
    world = World(rollouts={"orders": behaviour})

    with pytest.raises(
        EnvironmentError_, match=f"service orders did not roll out in {TENANT_NS}"
    ) as caught:
        _env(tmp_path, world, settings).deploy(pipeline.system)

    assert expected in str(caught.value)


def test_teardown_deletes_both_namespaces_and_waits_until_gone(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()
    env = _env(tmp_path, world, settings)
    env.deploy(pipeline.system)

    env.teardown()
    env.teardown()  # safe twice

    assert world.deleted == {TENANT_NS, BUILD_NS}
    deletes = [c for c in world.calls if c[0] == "delete_namespace"]
    assert len(deletes) == 2
    assert world.calls[-1][0] == "read_namespace"


def test_namespace_stuck_terminating_is_reported_not_hung_on(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World(stuck={TENANT_NS})
    env = _env(tmp_path, world, settings)
    env.deploy(pipeline.system)

    with pytest.raises(EnvironmentError_) as caught:
        env.teardown()

    message = str(caught.value)
    assert f"namespace {TENANT_NS} is still terminating after 120s" in message
    assert (
        "finalizers kubernetes" in message and "NamespaceFinalizersRemaining" in message
    )
    assert BUILD_NS in world.deleted  # the other namespace is still removed


def test_keep_on_failure_keeps_a_failed_runs_namespaces(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World(rollouts={"catalog": "CrashLoopBackOff"})
    env = _env(tmp_path, world, settings, keep=True)
    with pytest.raises(EnvironmentError_):
        env.deploy(pipeline.system)

    env.teardown()

    assert not world.deleted
    assert json.loads((tmp_path / "kept-namespaces.json").read_text()) == [
        TENANT_NS,
        BUILD_NS,
    ]


def test_keep_on_failure_still_deletes_a_passing_run(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()
    env = _env(tmp_path, world, settings, keep=True)
    env.deploy(pipeline.system)

    env.teardown()

    assert world.deleted == {TENANT_NS, BUILD_NS}


def test_missing_registry_fails_before_touching_the_cluster(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    world = World()

    with pytest.raises(ConfigError, match="kubernetes.registry.destination is not set"):
        _env(tmp_path, world, KubernetesSettings()).deploy(pipeline.system)

    assert world.calls == []


def test_unreachable_cluster_leaves_nothing_behind(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()
    cluster = fake_cluster(world)

    def refuse(**options: object) -> None:
        raise ConnectionRefusedError("connection refused")

    cluster.version.get_code = refuse
    env = KubernetesEnvironment(
        tmp_path, RUN_ID, pipeline="ci", settings=settings, connector=lambda c: cluster
    )

    with pytest.raises(
        EnvironmentError_, match=r"cannot reach the Kubernetes API \(context fake"
    ):
        env.deploy(pipeline.system)
    env.teardown()

    assert world.created == [] and world.deleted == set()


def test_collect_logs_writes_service_logs_and_hides_secrets(
    pipeline: Pipeline,
    settings: KubernetesSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "pw-very-secret-99"
    world = World(logs=f"connecting with {password}\nready\n")
    environ = {"CDH_REGISTRY_USERNAME": "bot", "CDH_REGISTRY_PASSWORD": password}
    env = _env(tmp_path, world, settings, environ=environ)
    caplog.set_level(logging.DEBUG)

    env.deploy(pipeline.system)
    env.collect_logs()
    env.teardown()

    text = (tmp_path / "logs" / "orders.log").read_text()
    assert "==> pod orders-1 container orders <==" in text and "ready" in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(), path
    assert password not in caplog.text
    secrets = [m for m in world.created if m["kind"] == "Secret"]
    assert {s["metadata"]["namespace"] for s in secrets} == {TENANT_NS, BUILD_NS}


def test_logs_are_uploaded_under_the_dated_run_key(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    from harness.environments.kubernetes.settings import S3Settings

    settings = KubernetesSettings(
        access="cluster-dns",
        registry=RegistrySettings(destination="registry.invalid:5000/shop"),
        logs=S3Settings(bucket="logs", prefix="cdh/runs"),
    )
    uploaded: list[tuple[str, str]] = []

    class Bucket:
        def put_object(self, **kwargs: object) -> None:
            uploaded.append((str(kwargs["Bucket"]), str(kwargs["Key"])))

    env = _env(tmp_path, World(), settings)
    env._s3_client = lambda s3: Bucket()
    env.deploy(pipeline.system)
    env.collect_logs()

    assert uploaded == [
        ("logs", f"cdh/runs/2023/11/14/{RUN_ID}/{name}.log")
        for name in ("catalog", "orders", "storefront")
    ]


def _bundles_written(world: World) -> int:
    # The bundle lists every event of a namespace; builds filter by Job.
    return sum(1 for c in world.calls if c[0] == "list_namespaced_event" and not c[2])


def test_failure_after_deploy_writes_one_debug_bundle_and_keeps_namespaces(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World(logs="GET /health 200\nboom: order 7 failed\n")
    env = _env(tmp_path, world, settings, keep=True)
    env.deploy(pipeline.system)
    assert not (tmp_path / "debug").exists()

    env.mark_failed()  # a stage after deploy failed; the runner says so at teardown
    env.mark_failed()
    env.collect_logs()
    env.teardown()

    bundle = tmp_path / "debug" / TENANT_NS
    assert "Pod orders-1" in (bundle / "pods.txt").read_text()
    assert (bundle / "events.txt").exists() and (bundle / "jobs.txt").exists()
    assert (
        "boom: order 7 failed" in (bundle / "logs" / "orders-1.orders.log").read_text()
    )
    assert (tmp_path / "debug" / BUILD_NS / "pods.txt").exists()
    assert _bundles_written(world) == 2  # once per namespace, not per call
    assert not world.deleted
    assert json.loads((tmp_path / "kept-namespaces.json").read_text()) == [
        TENANT_NS,
        BUILD_NS,
    ]


def test_failure_after_deploy_without_keep_still_deletes_the_namespaces(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()
    env = _env(tmp_path, world, settings)
    env.deploy(pipeline.system)

    env.mark_failed()
    env.teardown()

    assert (tmp_path / "debug" / TENANT_NS / "pods.txt").exists()
    assert world.deleted == {TENANT_NS, BUILD_NS}
    assert not (tmp_path / "kept-namespaces.json").exists()


def test_a_passing_run_writes_no_debug_bundle(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    world = World()
    env = _env(tmp_path, world, settings, keep=True)
    env.deploy(pipeline.system)

    env.collect_logs()
    env.teardown()

    assert not (tmp_path / "debug").exists() and _bundles_written(world) == 0
    assert world.deleted == {TENANT_NS, BUILD_NS}
