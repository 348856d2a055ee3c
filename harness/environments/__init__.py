"""Where services run. ``create_environment`` picks a backend by name."""

from __future__ import annotations

from pathlib import Path

from harness.environments.base import Deployment, Environment
from harness.environments.local import LocalEnvironment
from harness.errors import EnvironmentError_

BACKENDS = ("local", "kubernetes")


def create_environment(name: str, run_dir: Path, *, tenant: str) -> Environment:
    """The environment called ``name`` for one run.

    Raises:
        EnvironmentError_: no such backend, or it is not available here.
    """
    if name == "local":
        return LocalEnvironment(run_dir, tenant=tenant)
    if name == "kubernetes":
        raise EnvironmentError_(
            "the kubernetes environment is not available in this version — "
            "run with --env local"
        )
    raise EnvironmentError_(
        f"unknown environment {name!r} — use one of: {', '.join(BACKENDS)}"
    )


__all__ = [
    "BACKENDS",
    "Deployment",
    "Environment",
    "LocalEnvironment",
    "create_environment",
]
