"""Distributed load in the tenant namespace: manifests, policy, orchestration."""

from __future__ import annotations

import base64
import dataclasses
import io
import tarfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from k8s_fakes import RUN_ID, FakeClock, container_status, event, pod
from kubernetes import client as k

from harness.environments.kubernetes import render_run
from harness.environments.kubernetes.cleanup import Clock
from harness.environments.kubernetes.client import Cluster, model_of
from harness.environments.kubernetes.loadgen import (
    BEGIN,
    END,
    LoadPod,
    LoadSpec,
    load_spec,
)
from harness.environments.kubernetes.loadrun import ClusterLoad, read_results
from harness.environments.kubernetes.settings import (
    KubernetesSettings,
    LoadPodSettings,
    Resources,
)
from harness.environments.kubernetes.tenant import Tenant, render_tenant
from harness.errors import LoadError
from harness.model import LoadSettings, Pipeline

VERSIONS = ("1.30.0", "1.37.0")
TENANT_NS = f"cdh-ci-{RUN_ID}"
MASTER_HOST = f"http://storefront.{TENANT_NS}.svc.cluster.local:8080"


def _with_workers(pipeline: Pipeline, workers: int, shape: str = "") -> Pipeline:
    stage = pipeline.stages["load"]
    assert stage.load is not None
    load = dataclasses.replace(stage.load, workers=workers, shape=shape)
    stages = dict(pipeline.stages) | {"load": dataclasses.replace(stage, load=load)}
    return dataclasses.replace(pipeline, stages=stages)


def _load_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        o
        for o in objects
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "cdh-locust"
    ]


def _render(pipeline: Pipeline, settings: KubernetesSettings) -> list[dict[str, Any]]:
    return render_run(pipeline, RUN_ID, settings=settings, environ={})


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("shape", ["", "5s:10,10s:10,5s:0"])
def test_load_manifests_are_schema_valid_and_parse_into_the_clients_models(
    pipeline: Pipeline, settings: KubernetesSettings, version: str, shape: str
) -> None:
    tuned = dataclasses.replace(
        settings,
        load=LoadPodSettings(
            image="registry.invalid/locust:2.47.0",
            worker_resources=Resources({"cpu": "1"}, {"cpu": "2", "memory": "1Gi"}),
        ),
    )
    for chosen in (settings, tuned):
        objects = _load_objects(_render(_with_workers(pipeline, 3, shape), chosen))

        assert [o["kind"] for o in objects] == ["ConfigMap", "Service", "Job", "Job"]
        for manifest in objects:
            kubernetes_validate.validate(manifest, version, strict=True)
            model_of(manifest)


def test_render_includes_load_objects_only_for_stages_with_workers(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    assert _load_objects(_render(pipeline, settings)) == []

    objects = _render(_with_workers(pipeline, 2), settings)

    # after the services they load, in the order they must be applied
    kinds = [o["kind"] for o in objects]
    assert kinds[-4:] == ["ConfigMap", "Service", "Job", "Job"]
    assert (
        max(i for i, kind in enumerate(kinds) if kind == "Deployment") < len(kinds) - 4
    )
    config_map, service, master, workers = objects[-4:]
    assert all(o["metadata"]["namespace"] == TENANT_NS for o in objects[-4:])
    assert "class" in config_map["data"]["locustfile.py"]
    assert workers["spec"]["parallelism"] == workers["spec"]["completions"] == 2
    args = master["spec"]["template"]["spec"]["containers"][0]["command"]
    assert args[args.index("--expect-workers") + 1] == "2"
    assert args[args.index("--host") + 1] == MASTER_HOST
    assert "--json-file" in args and "--master" in args
    worker_args = workers["spec"]["template"]["spec"]["containers"][0]["command"]
    assert (
        worker_args[worker_args.index("--master-host") + 1]
        == service["metadata"]["name"]
    )
    selector = set(service["spec"]["selector"].items())
    assert selector <= set(master["spec"]["template"]["metadata"]["labels"].items())
    assert not selector <= set(
        workers["spec"]["template"]["metadata"]["labels"].items()
    )


def test_default_image_is_the_official_locust_image_pinned_to_the_runners_version(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    from importlib.metadata import version

    objects = _load_objects(_render(_with_workers(pipeline, 1), settings))

    images = {
        o["spec"]["template"]["spec"]["containers"][0]["image"]
        for o in objects
        if o["kind"] == "Job"
    }
    assert images == {f"docker.io/locustio/locust:{version('locust')}"}


def test_load_pods_meet_the_restricted_pod_security_level(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    jobs = [
        o
        for o in _load_objects(_render(_with_workers(pipeline, 2), settings))
        if o["kind"] == "Job"
    ]

    for job in jobs:
        spec = job["spec"]["template"]["spec"]
        assert spec["automountServiceAccountToken"] is False
        assert spec["serviceAccountName"] == "cdh-workload"
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert job["spec"]["activeDeadlineSeconds"] > 0
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["runAsUser"] > 0
            assert container["resources"]["limits"]
        assert not any("hostPath" in v for v in spec["volumes"])


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return all(labels.get(key) == value for key, value in wanted.items())


def _allows(
    policies: list[dict[str, Any]],
    direction: str,
    pod_labels: dict[str, str],
    peer_labels: dict[str, str],
) -> bool:
    """Whether some policy selecting the pod lets traffic to/from a same-namespace
    peer through (the subset of NetworkPolicy semantics the tenant uses)."""
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in policies:
        spec = policy["spec"]
        if direction not in spec["policyTypes"]:
            continue
        if not _selects(spec["podSelector"], pod_labels):
            continue
        for rule in spec.get(key, []):
            for peer in rule.get(peers, []):
                if set(peer) == {"podSelector"} and _selects(
                    peer["podSelector"], peer_labels
                ):
                    return True
    return False


def test_workers_reach_the_master_and_the_services_under_the_tenant_policies(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    tenant = Tenant(TENANT_NS, "tenant", "ci", RUN_ID, 0)
    policies = [
        o for o in render_tenant(tenant, settings) if o["kind"] == "NetworkPolicy"
    ]
    objects = _load_objects(_render(_with_workers(pipeline, 2), settings))
    master, workers = (o["spec"]["template"]["metadata"]["labels"] for o in objects[2:])
    service = {"app.kubernetes.io/name": "storefront"}
    assert "default-deny" in {p["metadata"]["name"] for p in policies}

    for source, destination in [
        (workers, master),
        (master, workers),
        (workers, service),
        (master, service),
    ]:
        assert _allows(policies, "Egress", source, destination)
        assert _allows(policies, "Ingress", destination, source)


# --- orchestration against a recording stand-in ------------------------------


def recorded_master_log(files: dict[str, bytes], code: int = 0) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    packed = base64.encodebytes(buffer.getvalue()).decode()
    return (
        "[2025-01-01 00:00:00] master/INFO/locust.main: Starting Locust 2.47.0\n"
        "Waiting for workers to be ready, 2 of 2 connected\n"
        f"{BEGIN} {code} <==\n{packed}{END}\n"
    )


class LoadWorld:
    """A tenant namespace where the master ends after ``polls`` polls."""

    def __init__(self, master_log: str, polls: int = 2, waiting: str = "") -> None:
        self.master_log = master_log
        self.polls = polls
        self.waiting = waiting
        self.refused = ""
        self.calls: list[tuple[str, str]] = []

    def pods(self, selector: str) -> list[Any]:
        component = selector.rpartition("=")[2]
        self.calls.append(("list_pods", component))
        if self.waiting:
            state = {"waiting": k.V1ContainerStateWaiting(reason=self.waiting)}
        elif component == "master" and self.polls <= 0:
            state = {"terminated": k.V1ContainerStateTerminated(exit_code=0)}
        else:
            state = {"running": k.V1ContainerStateRunning()}
        if component == "master":
            self.polls -= 1
            return [pod("locust-m-1", {}, [container_status("master", **state)])]
        return [
            pod(f"locust-w-{i}", {}, [container_status("worker", **state)])
            for i in (1, 2)
        ]


class _Recorder:
    def __init__(self, world: LoadWorld) -> None:
        self.world = world

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **options: Any) -> Any:
            if method.startswith("create"):
                body = args[-1]
                self.world.calls.append((method, f"{body.kind} {body.metadata.name}"))
            else:
                self.world.calls.append((method, args[0]))
            return None

        return call


class LoadCore(_Recorder):
    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        return k.V1PodList(items=self.world.pods(label_selector))

    def list_namespaced_event(self, namespace: str, field_selector: str) -> Any:
        job = field_selector.rpartition("=")[2]
        if self.world.refused and job.endswith("-workers"):
            return k.CoreV1EventList(
                items=[event("FailedCreate", self.world.refused, name=job)]
            )
        return k.CoreV1EventList(items=[])

    def read_namespaced_pod_log(self, name: str, namespace: str, **options: Any) -> str:
        self.world.calls.append(("read_log", name))
        return self.world.master_log if name.startswith("locust-m") else "worker ok\n"


def _cluster(world: LoadWorld) -> Cluster:
    recorder = _Recorder(world)
    return Cluster(
        core=LoadCore(world),
        apps=recorder,
        batch=recorder,
        networking=recorder,
        rbac=recorder,
        target="context fake",
    )


def _spec(tmp_path: Path) -> LoadSpec:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("from locust import HttpUser\n")
    return load_spec(
        name="abc123",
        locustfile=locustfile,
        host=MASTER_HOST,
        users=10,
        spawn_rate=5,
        run_time=10,
        workers=2,
        timeout=80,
        worker_wait=30,
        stop_timeout=5,
    )


def _load(world: LoadWorld) -> ClusterLoad:
    pod_settings = LoadPod.from_settings(KubernetesSettings())
    fake = FakeClock()
    clock = Clock(now=fake.now, sleep=fake.sleep, wall=fake.wall)
    return ClusterLoad(_cluster(world), TENANT_NS, pod_settings, clock=clock)


def test_cluster_load_applies_in_order_reads_the_results_back_and_cleans_up(
    tmp_path: Path,
) -> None:
    files = {"out_final.json": b"[]", "out_stats.csv": b"Type,Name\n"}
    world = LoadWorld(recorded_master_log(files, code=0), polls=2)

    result = _load(world).run(_spec(tmp_path))

    assert result.exit_code == 0 and result.files == files
    assert "2 of 2 connected" in result.log and BEGIN not in result.log
    assert result.worker_logs == ["worker ok\n", "worker ok\n"]
    created = [name for method, name in world.calls if method.startswith("create")]
    assert created == [
        "ConfigMap locust-abc123",
        "Service locust-abc123-master",
        "Job locust-abc123-master",
        "Job locust-abc123-workers",
    ]
    deleted = [name for method, name in world.calls if method.startswith("delete")]
    assert deleted == [
        "locust-abc123-workers",
        "locust-abc123-master",
        "locust-abc123-master",
        "locust-abc123",
    ]
    first_read = world.calls.index(("read_log", "locust-m-1"))
    assert first_read > max(
        i for i, c in enumerate(world.calls) if c[0].startswith("create")
    )


def test_load_image_that_cannot_be_pulled_fails_at_once_and_cleans_up(
    tmp_path: Path,
) -> None:
    world = LoadWorld("", waiting="ImagePullBackOff")

    with pytest.raises(
        LoadError, match=r"pod locust-m-1: ImagePullBackOff.*kubernetes\.load\.image"
    ):
        _load(world).run(_spec(tmp_path))

    assert sum(1 for c in world.calls if c[0].startswith("delete")) == 4


def test_load_pods_refused_by_the_cluster_are_named(tmp_path: Path) -> None:
    world = LoadWorld("", polls=99)
    world.refused = 'pods "w" is forbidden: violates PodSecurity "restricted:latest"'

    with pytest.raises(LoadError, match=r"locust-abc123-workers: .*PodSecurity"):
        _load(world).run(_spec(tmp_path))


def test_workers_over_the_tenant_quota_fail_with_the_fix(tmp_path: Path) -> None:
    world = LoadWorld("", polls=99)
    world.refused = 'pods "w" is forbidden: exceeded quota: cdh-quota, requested: 1'

    with pytest.raises(
        LoadError, match=r"exceeded quota.* — raise kubernetes.tenant.quota"
    ):
        _load(world).run(_spec(tmp_path))


def test_master_without_results_in_its_log_is_a_clear_error(tmp_path: Path) -> None:
    world = LoadWorld("Traceback\nImportError: no module named shop_helpers\n")

    with pytest.raises(LoadError, match="ended without printing its results.*shop"):
        _load(world).run(_spec(tmp_path))


def test_results_cut_short_in_the_log_are_reported() -> None:
    text = recorded_master_log({"out_final.json": b"[]"})

    with pytest.raises(LoadError, match="log was cut"):
        read_results(text.replace(END, ""))


def test_result_files_with_paths_are_ignored() -> None:
    code, files, _ = read_results(
        recorded_master_log({"../evil": b"x", "out_stats.csv": b"ok"}, code=3)
    )

    assert code == 3 and files == {"out_stats.csv": b"ok"}


def test_load_settings_are_read_from_the_kubernetes_section(tmp_path: Path) -> None:
    from harness.environments.kubernetes.settings import load_settings

    system = tmp_path / "system.yaml"
    system.write_text(
        "kubernetes:\n"
        "  load:\n"
        "    image: mirror.example/locust:2.47.0\n"
        "    resources: {requests: {cpu: 250m}}\n"
        "    run_as_user: 4242\n"
    )

    load = load_settings(system).load

    assert load.image == "mirror.example/locust:2.47.0"
    assert load.worker_resources == Resources({"cpu": "250m"})
    assert load.run_as_user == 4242


def test_loadsettings_model_has_the_fields_render_reads() -> None:
    fields = {f.name for f in dataclasses.fields(LoadSettings)}
    assert {"workers", "shape", "target", "locustfile"} <= fields
