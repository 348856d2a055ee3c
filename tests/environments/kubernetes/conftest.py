from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_pipeline
from harness.environments.kubernetes.settings import (
    KubernetesSettings,
    RegistrySettings,
)
from harness.model import Pipeline

ROOT = Path(__file__).resolve().parents[3]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "live_cluster: needs a reachable cluster (set CDH_TEST_KUBECONTEXT)",
    )


@pytest.fixture
def pipeline() -> Pipeline:
    return load_pipeline(ROOT / "pipelines" / "ci.yaml", environment="kubernetes")


@pytest.fixture
def settings() -> KubernetesSettings:
    return KubernetesSettings(
        source="system.yaml",
        access="cluster-dns",
        registry=RegistrySettings(destination="registry.invalid:5000/shop"),
    )
