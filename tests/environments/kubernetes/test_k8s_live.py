"""Against a real cluster: only with CDH_TEST_KUBECONTEXT set.

These create and delete real namespaces (labelled, with a short expiry),
so point them at a disposable cluster such as kind.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from harness.environments.kubernetes import check_cluster, names
from harness.environments.kubernetes.cleanup import (
    delete_namespace,
    is_harness_namespace,
)
from harness.environments.kubernetes.client import connect, create
from harness.environments.kubernetes.loadgen import LoadPod, load_spec
from harness.environments.kubernetes.loadrun import ClusterLoad
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.environments.kubernetes.tenant import Tenant, render_tenant

CONTEXT = os.environ.get("CDH_TEST_KUBECONTEXT")

pytestmark = [
    pytest.mark.live_cluster,
    pytest.mark.skipif(
        not CONTEXT,
        reason="needs a live cluster: set CDH_TEST_KUBECONTEXT to a kubeconfig context",
    ),
]


def test_cluster_answers() -> None:
    assert "context" in check_cluster(CONTEXT)


def test_tenant_objects_are_accepted_and_removed() -> None:
    cluster = connect(CONTEXT)
    run_id = f"live-{int(time.time())}"
    namespace = names.namespace_name("test", run_id)
    tenant = Tenant(namespace, names.TENANT, "test", run_id, int(time.time()) + 600)
    try:
        for manifest in render_tenant(tenant, KubernetesSettings()):
            create(cluster, manifest)
        assert is_harness_namespace(cluster.core.read_namespace(namespace))
    finally:
        delete_namespace(cluster.core, namespace, timeout=120)


IDLE_LOCUSTFILE = """
from locust import User, constant, task

class Idle(User):
    wait_time = constant(0.1)

    @task
    def tick(self):
        self.environment.events.request.fire(
            request_type="NOOP", name="tick", response_time=1,
            response_length=0, exception=None, context={},
        )
"""


def test_distributed_load_runs_in_a_restricted_tenant_and_reports_back(
    tmp_path: Path,
) -> None:
    # Needs the nodes to pull the default locust image.
    settings = KubernetesSettings()
    cluster = connect(CONTEXT)
    run_id = f"live-load-{int(time.time())}"
    namespace = names.namespace_name("test", run_id)
    tenant = Tenant(namespace, names.TENANT, "test", run_id, int(time.time()) + 600)
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(IDLE_LOCUSTFILE)
    spec = load_spec(
        name="live",
        locustfile=locustfile,
        host="http://127.0.0.1:1",
        users=4,
        spawn_rate=4,
        run_time=5,
        workers=2,
        timeout=300,
        worker_wait=120,
        stop_timeout=2,
    )
    try:
        for manifest in render_tenant(tenant, settings):
            create(cluster, manifest)
        result = ClusterLoad(cluster, namespace, LoadPod.from_settings(settings)).run(
            spec
        )
    finally:
        delete_namespace(cluster.core, namespace, timeout=120)

    assert result.exit_code == 0, result.log
    stats = json.loads(result.files["out_final.json"])
    assert sum(entry["num_requests"] for entry in stats) > 0
    assert len(result.worker_logs) == 2
