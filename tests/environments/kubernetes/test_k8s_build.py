"""The kaniko Job renderer, the build context and reading a build's result."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from k8s_fakes import DIGEST, event, kaniko_pod
from kubernetes import client as k

from harness.environments.kubernetes import build
from harness.environments.kubernetes.context import DockerIgnore, pack_context
from harness.environments.kubernetes.settings import (
    BuilderSettings,
    KubernetesSettings,
    RegistrySettings,
)
from harness.errors import ConfigError, EnvironmentError_

ROOT = Path(__file__).resolve().parents[3]


def _request(**changes: object) -> build.BuildRequest:
    values: dict = {
        "service": "orders",
        "namespace": "cdh-ci-run-build",
        "repository": "registry.invalid:5000/shop/orders",
        "tag": "run",
        "registry_secret": True,
    }
    values.update(changes)
    return build.BuildRequest(**values)


def _job(settings: KubernetesSettings | None = None, **changes: object) -> dict:
    settings = settings or KubernetesSettings()
    return build.KanikoBuilder(settings).render(_request(**changes))[0]


def _pod_spec(job: dict) -> dict:
    return job["spec"]["template"]["spec"]


def test_nothing_is_mounted_at_workspace() -> None:
    spec = _pod_spec(_job())
    (container,) = spec["containers"]

    paths = [m["mountPath"].rstrip("/") for m in container["volumeMounts"]]
    assert paths and not any(
        p == "/workspace" or p.startswith("/workspace/") for p in paths
    )
    assert "workingDir" not in container


def test_registry_secret_is_mounted_at_kaniko_docker_as_config_json() -> None:
    spec = _pod_spec(_job())
    (container,) = spec["containers"]

    mount = next(
        m for m in container["volumeMounts"] if m["mountPath"] == "/kaniko/.docker"
    )
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert volume["secret"] == {
        "secretName": build.REGISTRY_SECRET,
        "items": [{"key": ".dockerconfigjson", "path": "config.json"}],
    }
    assert not any(
        "configMap" in v and v["name"] == mount["name"] for v in spec["volumes"]
    )


def test_inline_context_is_a_tar_gz_url_outside_the_workspace() -> None:
    args = _pod_spec(_job())["containers"][0]["args"]

    assert "--context=tar:///kaniko/cdh-context/context.tar.gz" in args
    assert "--dockerfile=Dockerfile" in args
    assert "--digest-file=/dev/termination-log" in args
    assert "--destination=registry.invalid:5000/shop/orders:run" in args


def test_s3_context_uses_the_bucket_url_and_endpoint() -> None:
    from harness.environments.kubernetes.settings import S3Settings

    settings = KubernetesSettings(
        builder=BuilderSettings(
            s3=S3Settings(bucket="ctx", endpoint="https://minio.invalid:9000")
        )
    )
    (container,) = _pod_spec(
        _job(settings, context="s3://ctx/cdh/x.tar.gz", s3_secret=True)
    )["containers"]

    assert "--context=s3://ctx/cdh/x.tar.gz" in container["args"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["S3_ENDPOINT"] == "https://minio.invalid:9000"
    assert env["S3_FORCE_PATH_STYLE"] == "true"
    assert container["envFrom"] == [{"secretRef": {"name": build.S3_SECRET}}]


def test_no_push_implies_no_push_cache() -> None:
    settings = KubernetesSettings(builder=BuilderSettings(push=False))

    args = build.kaniko_args(_request(), settings)

    assert "--no-push" in args and "--no-push-cache" in args


def test_cache_without_push_needs_a_cache_repo() -> None:
    settings = KubernetesSettings(
        source="system.yaml", builder=BuilderSettings(push=False, cache=True)
    )

    with pytest.raises(ConfigError, match="cache_repo"):
        build.KanikoBuilder(settings)

    ok = KubernetesSettings(
        builder=BuilderSettings(push=False, cache=True, cache_repo="r/cache")
    )
    args = build.kaniko_args(_request(), ok)
    assert {
        "--cache=true",
        "--cache-repo=r/cache",
        "--no-push",
        "--no-push-cache",
    } <= set(args)


def test_build_args_merge_system_and_service_values_sorted() -> None:
    settings = KubernetesSettings(
        builder=BuilderSettings(build_args={"B": "1", "A": "x"})
    )

    args = build.kaniko_args(_request(build_args={"B": "2"}), settings)

    assert [a for a in args if a.startswith("--build-arg")] == [
        "--build-arg=A=x",
        "--build-arg=B=2",
    ]


def test_executor_image_is_configurable_and_one_attempt_only() -> None:
    job = _job(
        KubernetesSettings(
            builder=BuilderSettings(executor="example.invalid/kaniko-fork:v2")
        )
    )

    assert _pod_spec(job)["containers"][0]["image"] == "example.invalid/kaniko-fork:v2"
    assert job["spec"]["backoffLimit"] == 0
    assert _pod_spec(job)["restartPolicy"] == "Never"


# --- the context ----------------------------------------------------------


def _members(packed: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def test_context_is_gzipped_with_the_dockerfile_at_its_root() -> None:
    packed = pack_context(ROOT / "services" / "orders")

    assert packed[:2] == b"\x1f\x8b"
    members = _members(packed)
    assert "Dockerfile" in members
    assert "orders/__init__.py" in members


def test_context_bytes_are_the_same_twice_and_ignore_timestamps(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print(1)\n")

    first = pack_context(tmp_path)
    os.utime(tmp_path / "app" / "main.py", (1, 1))

    assert pack_context(tmp_path) == first
    assert gzip.decompress(first)  # a well-formed gzip stream
    assert all(m.mtime == 0 and m.uid == 0 for m in _members(first).values())


def test_context_changes_when_a_file_changes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    first = pack_context(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nUSER 1\n")

    assert pack_context(tmp_path) != first


def test_dockerignore_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text(
        "# comment\n**/__pycache__\n*.sqlite\nsecrets/\n"
        "!secrets/public.pem\nDockerfile\n"
    )
    for name in (
        "app/__pycache__/x.pyc",
        "app/main.py",
        "data.sqlite",
        "secrets/key",
        "secrets/public.pem",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    members = _members(pack_context(tmp_path))

    assert "app/main.py" in members and "secrets/public.pem" in members
    assert "Dockerfile" in members  # always sent, as Docker does
    assert not {"app/__pycache__/x.pyc", "data.sqlite", "secrets/key"} & set(members)


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),
        ("**/*.md", "docs/README.md", True),
        ("docs", "docs/a/b.txt", True),
        ("/build", "build/x", True),
        ("te?t", "test", True),
        ("[a-c]at", "bat", True),
    ],
)
def test_dockerignore_patterns(pattern: str, path: str, excluded: bool) -> None:
    assert DockerIgnore([pattern]).excluded(path) is excluded


def test_context_without_dockerfile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentError_, match="no Dockerfile at the root"):
        pack_context(tmp_path)


# --- registry credentials ---------------------------------------------------


def test_registry_secret_is_dockerconfigjson_built_from_environment() -> None:
    settings = KubernetesSettings(
        registry=RegistrySettings(destination="reg.invalid:5000/shop")
    )
    config = build.registry_config(
        settings, {"CDH_REGISTRY_USERNAME": "bot", "CDH_REGISTRY_PASSWORD": "pw-123456"}
    )
    assert config is not None

    secret = build.registry_secret("ns", config)

    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    decoded = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    assert (
        base64.b64decode(decoded["auths"]["reg.invalid:5000"]["auth"])
        == b"bot:pw-123456"
    )


def test_auth_file_with_only_credential_helpers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credsStore": "desktop"}))
    settings = KubernetesSettings(
        source="system.yaml", registry=RegistrySettings(auth_file=path)
    )

    with pytest.raises(ConfigError, match="no 'auths'"):
        build.registry_config(settings, {})


def test_no_credentials_means_no_secret() -> None:
    assert build.registry_config(KubernetesSettings(), {}) is None


# --- reading the result -------------------------------------------------------


def _job_obj(*conditions: k.V1JobCondition) -> k.V1Job:
    return k.V1Job(status=k.V1JobStatus(conditions=list(conditions) or None))


def test_digest_is_accepted_when_kaniko_exited_zero() -> None:
    outcome = build.build_outcome(_job_obj(), [kaniko_pod("build-orders", 0)], [])

    assert outcome == build.BuildOutcome(build.SUCCEEDED, digest=DIGEST)


def test_digest_is_ignored_when_kaniko_failed_after_writing_it() -> None:
    pod = kaniko_pod("build-orders", 1, message=DIGEST)

    assert build.digest_of(pod) is None
    outcome = build.build_outcome(_job_obj(), [pod], [])
    assert outcome.state == build.FAILED and "exited with code 1" in outcome.reason


def test_exit_zero_without_a_digest_is_a_failure() -> None:
    outcome = build.build_outcome(
        _job_obj(), [kaniko_pod("b", 0, message="garbage")], []
    )

    assert outcome.state == build.FAILED and "no image digest" in outcome.reason


def test_pod_refused_by_pod_security_fails_the_build_instead_of_waiting() -> None:
    refused = event(
        "FailedCreate",
        'Error creating: pods "build-orders-x" is forbidden: violates PodSecurity '
        '"restricted:latest": runAsNonRoot != true',
    )

    outcome = build.build_outcome(_job_obj(), [], [refused])

    assert outcome.state == build.FAILED
    assert "refused the build pod" in outcome.reason and "PodSecurity" in outcome.reason


def test_quota_not_yet_computed_is_not_a_failure() -> None:
    transient = event(
        "FailedCreate", 'pods "b" is forbidden: status unknown for quota: cdh-quota'
    )

    assert build.build_outcome(_job_obj(), [], [transient]).state == build.RUNNING


def test_failed_job_condition_is_reported() -> None:
    failed = k.V1JobCondition(
        type="Failed",
        status="True",
        reason="DeadlineExceeded",
        message="Job was active longer",
    )

    outcome = build.build_outcome(_job_obj(failed), [], [])

    assert outcome.state == build.FAILED and "DeadlineExceeded" in outcome.reason


def test_executor_image_that_cannot_be_pulled_fails_fast() -> None:
    from k8s_fakes import container_status, pod

    waiting = k.V1ContainerStateWaiting(reason="ImagePullBackOff", message="not found")
    stuck = pod("b-1", {"job-name": "b"}, [container_status("kaniko", waiting=waiting)])

    outcome = build.build_outcome(_job_obj(), [stuck], [])

    assert outcome.state == build.FAILED and "builder.executor" in outcome.reason
