"""Where services run. ``create_environment`` picks a backend by name."""

from __future__ import annotations

from pathlib import Path

from harness.environments.base import Deployment, Environment
from harness.environments.local import LocalEnvironment
from harness.errors import EnvironmentError_

BACKENDS = ("local", "kubernetes")


def create_environment(
    name: str,
    run_dir: Path,
    *,
    tenant: str,
    pipeline: str = "run",
    context: str | None = None,
    keep_on_failure: bool = False,
) -> Environment:
    """The environment called ``name`` for one run.

    Args:
        pipeline: the pipeline's name (names the Kubernetes namespace).
        context: the kubeconfig context (kubernetes only).
        keep_on_failure: keep a failed run's namespaces (kubernetes only).

    Raises:
        EnvironmentError_: no such backend, or it is not available here.
    """
    if name == "local":
        return LocalEnvironment(run_dir, tenant=tenant)
    if name == "kubernetes":
        from harness.environments.kubernetes import KubernetesEnvironment

        return KubernetesEnvironment(
            run_dir,
            tenant,
            pipeline=pipeline,
            context=context,
            keep_on_failure=keep_on_failure,
        )
    raise EnvironmentError_(
        f"unknown environment {name!r} — use one of: {', '.join(BACKENDS)}"
    )


def check_environment(name: str, *, context: str | None = None) -> None:
    """Fail fast, before any stage runs, when the backend cannot be reached.

    Raises:
        EnvironmentError_: e.g. no Kubernetes API answers for ``context``.
    """
    if name == "kubernetes":
        from harness.environments.kubernetes import check_cluster

        check_cluster(context)


__all__ = [
    "BACKENDS",
    "Deployment",
    "Environment",
    "LocalEnvironment",
    "check_environment",
    "create_environment",
]
