"""Against a real cluster: only with CDH_TEST_KUBECONTEXT set.

These create and delete real namespaces (labelled, with a short expiry),
so point them at a disposable cluster such as kind.
"""

from __future__ import annotations

import os
import time

import pytest

from harness.environments.kubernetes import check_cluster, names
from harness.environments.kubernetes.cleanup import (
    delete_namespace,
    is_harness_namespace,
)
from harness.environments.kubernetes.client import connect, create
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
