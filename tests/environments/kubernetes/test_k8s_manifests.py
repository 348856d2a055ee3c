"""Every manifest the backend renders is valid for more than one Kubernetes."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from k8s_fakes import RUN_ID

from harness.environments.kubernetes import (
    render_logging_objects,
    render_run,
    write_manifests,
)
from harness.environments.kubernetes.client import model_of
from harness.environments.kubernetes.settings import (
    BuilderSettings,
    KubernetesSettings,
    RegistrySettings,
    TenantSettings,
)
from harness.model import Pipeline

VERSIONS = ("1.30.0", "1.37.0")
AUTH = {
    "auths": {
        "registry.invalid:5000": {"auth": base64.b64encode(b"bot:s3cr3t-pw").decode()}
    }
}


def _everything(pipeline: Pipeline, settings: KubernetesSettings) -> list[dict]:
    return (
        render_run(pipeline, RUN_ID, settings=settings, environ={})
        + render_logging_objects()
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_manifest_is_schema_valid(
    pipeline: Pipeline, settings: KubernetesSettings, version: str
) -> None:
    full = KubernetesSettings(
        source="system.yaml",
        registry=RegistrySettings(destination="registry.invalid:5000/shop"),
        builder=BuilderSettings(cache=True, build_args={"PIP_NO_CACHE_DIR": "1"}),
        tenant=TenantSettings(
            runner_namespace="ci",
            node_selector={"cd-harness/tenant": "yes"},
            tolerations=(
                {
                    "key": "cd-harness/tenant",
                    "operator": "Exists",
                    "effect": "NoSchedule",
                },
            ),
            runtime_class="gvisor",
        ),
    )
    for objects in (_everything(pipeline, settings), _everything(pipeline, full)):
        for manifest in objects:
            # raises ValidationError naming the field when a manifest is wrong
            kubernetes_validate.validate(manifest, version, strict=True)


def test_schema_validation_catches_a_broken_manifest(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    job = next(
        m
        for m in render_run(pipeline, RUN_ID, settings=settings, environ={})
        if m["kind"] == "Job"
    )
    job["spec"]["template"]["spec"]["containers"][0]["args"] = "--no-push"

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, VERSIONS[0], strict=True)


def test_every_applied_manifest_parses_into_the_clients_models(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    for manifest in render_run(pipeline, RUN_ID, settings=settings, environ={}):
        model = model_of(manifest)
        assert model.metadata.name == manifest["metadata"]["name"]


def test_render_covers_tenant_builds_and_deployments(
    pipeline: Pipeline, settings: KubernetesSettings
) -> None:
    kinds = [
        m["kind"] for m in render_run(pipeline, RUN_ID, settings=settings, environ={})
    ]

    assert kinds.count("Namespace") == 2
    assert (
        kinds.count("Job") == kinds.count("Deployment") == kinds.count("Service") == 3
    )
    assert {
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "Role",
        "RoleBinding",
    } <= set(kinds)


def test_write_manifests_writes_one_file_per_object_in_apply_order(
    pipeline: Pipeline, settings: KubernetesSettings, tmp_path: Path
) -> None:
    objects = render_run(pipeline, RUN_ID, settings=settings, environ={})

    paths = write_manifests(objects, tmp_path / "out")

    assert [p.name for p in paths] == sorted(p.name for p in paths)
    assert paths[0].name.startswith("001-cluster-namespace-")
    loaded = [yaml.safe_load(p.read_text()) for p in paths]
    assert loaded == objects
    assert not any("&id" in p.read_text() for p in paths)


def test_secret_values_are_only_in_the_secret_manifests(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    auth_file = tmp_path / "config.json"
    auth_file.write_text(json.dumps(AUTH))
    settings = KubernetesSettings(
        registry=RegistrySettings(
            destination="registry.invalid:5000/shop", auth_file=auth_file
        )
    )
    objects = render_run(pipeline, RUN_ID, settings=settings, environ={})

    paths = write_manifests(objects, tmp_path / "out")

    token = AUTH["auths"]["registry.invalid:5000"]["auth"]
    secret_files = [p for p in paths if "-secret-" in p.name]
    assert len(secret_files) == 2  # build namespace (push) and tenant (pull)
    for path in paths:
        text = path.read_text()
        assert "s3cr3t-pw" not in text
        if path in secret_files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            data = yaml.safe_load(text)
            assert token in base64.b64decode(data["data"][".dockerconfigjson"]).decode()
        else:
            assert token not in text


def test_logging_render_has_daemonset_account_and_read_only_clusterrole() -> None:
    objects = {m["kind"]: m for m in render_logging_objects()}

    assert {
        "DaemonSet",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
    } <= set(objects)
    assert objects["ClusterRole"]["rules"][0]["verbs"] == ["get", "list", "watch"]
    env = objects["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert all("valueFrom" in item for item in env)  # credentials never inline
    assert "[OUTPUT]" in objects["ConfigMap"]["data"]["fluent-bit.conf"]


def _fluent_bit() -> tuple[dict, str]:
    objects = {m["kind"]: m for m in render_logging_objects()}
    config = objects["ConfigMap"]["data"]["fluent-bit.conf"]
    return objects["DaemonSet"]["spec"]["template"]["spec"], config


def _setting(config: str, key: str) -> str:
    found = re.findall(rf"^\s+{re.escape(key)}\s+(\S+)$", config, re.MULTILINE)
    assert len(found) == 1, f"{key} is set {len(found)} times"
    return found[0]


def _volume_holding(spec: dict, path: str) -> dict:
    """The volume mounted writable at or above ``path`` in the container."""
    mounts = [
        m
        for m in spec["containers"][0]["volumeMounts"]
        if not m.get("readOnly")
        and (path == m["mountPath"] or path.startswith(m["mountPath"] + "/"))
    ]
    assert len(mounts) == 1, f"{path} is on {len(mounts)} writable mounts"
    return next(v for v in spec["volumes"] if v["name"] == mounts[0]["name"])


def test_fluent_bit_s3_buffer_is_on_an_empty_dir_under_a_read_only_root() -> None:
    spec, config = _fluent_bit()

    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    assert "emptyDir" in _volume_holding(spec, _setting(config, "store_dir"))


def test_fluent_bit_keeps_tail_positions_on_the_node_across_restarts() -> None:
    spec, config = _fluent_bit()
    database = _setting(config, "db")

    host_path = _volume_holding(spec, database)["hostPath"]

    assert host_path["type"] == "DirectoryOrCreate"
    assert database.startswith(host_path["path"] + "/")
    assert not host_path["path"].startswith("/var/log")
