"""The Kubernetes backend: kaniko builds, a tenant namespace per run.

Entry points for the CLI: :class:`KubernetesEnvironment` (``cdh run --env
kubernetes``), :func:`render_run` and :func:`write_manifests` (``cdh
render``), :func:`render_logging_objects` (``cdh render logging``),
:func:`gc_namespaces` (``cdh gc``) and :func:`check_cluster` (fail fast
before a run when no cluster answers).
"""

from __future__ import annotations

from harness.environments.kubernetes.cleanup import GcReport, gc
from harness.environments.kubernetes.client import Cluster, connect, preflight
from harness.environments.kubernetes.environment import KubernetesEnvironment
from harness.environments.kubernetes.output import (
    RenderError,
    previous_manifests,
    write_manifests,
)
from harness.environments.kubernetes.render import (
    RENDER_RUN_ID,
    render_logging_objects,
    render_run,
)
from harness.environments.kubernetes.settings import KubernetesSettings, load_settings


def check_cluster(context: str | None = None) -> str:
    """Connect and ask the API server's version; one clear error if none answers.

    Returns:
        What was reached, e.g. ``context kind-cdh at https://127.0.0.1:6443 (v1.31.0)``.
    """
    cluster = connect(context)
    return f"{cluster.target} ({preflight(cluster)})"


def gc_namespaces(
    context: str | None = None, *, include_unexpired: bool = False
) -> GcReport:
    """``cdh gc``: delete expired tenant namespaces the harness labelled."""
    cluster = connect(context)
    preflight(cluster)
    return gc(cluster.core, include_unexpired=include_unexpired)


__all__ = [
    "RENDER_RUN_ID",
    "Cluster",
    "GcReport",
    "KubernetesEnvironment",
    "KubernetesSettings",
    "RenderError",
    "check_cluster",
    "gc_namespaces",
    "load_settings",
    "previous_manifests",
    "render_logging_objects",
    "render_run",
    "write_manifests",
]
