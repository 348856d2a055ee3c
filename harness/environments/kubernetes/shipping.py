"""``cdh render logging``: cluster-wide log shipping to object storage.

For teams that want every node's container logs in an S3-compatible
bucket independent of any run: a fluent-bit DaemonSet in its own
namespace, with a ServiceAccount and a read-only ClusterRole for the
Kubernetes metadata filter. Credentials are not rendered: the DaemonSet
reads them from a Secret the operator creates (see :data:`CREDENTIALS`).

The container's root filesystem is read-only, so everything fluent-bit
writes has a volume of its own: the s3 output buffers chunks in an
emptyDir (:data:`STORE_DIR`), and the tail input keeps its read positions
in a database on the node (:data:`STATE_DIR`), so a restarted or updated
pod resumes where the last one stopped instead of shipping every log again.
"""

from __future__ import annotations

from typing import Any

from harness.environments.kubernetes import names
from harness.environments.kubernetes.settings import S3Settings
from harness.environments.kubernetes.tenant import PSA, Manifest

NAMESPACE = "cdh-logging"
NAME = "cdh-log-shipper"
CREDENTIALS = "cdh-log-shipper-s3"
IMAGE = "fluent/fluent-bit:3.2"
STORE_DIR = "/var/fluent-bit/s3"
STATE_DIR = "/var/lib/cdh-fluent-bit"
TAIL_DB = f"{STATE_DIR}/tail-containers.db"
_LABELS = {names.MANAGED_BY: names.MANAGER, "app.kubernetes.io/name": NAME}


def fluent_bit_config(s3: S3Settings) -> str:
    """fluent-bit's configuration: tail container logs, add metadata, ship."""
    endpoint = f"    endpoint          {s3.endpoint}\n" if s3.endpoint else ""
    return (
        "[SERVICE]\n"
        "    flush             5\n"
        "    log_level         info\n"
        "\n"
        "[INPUT]\n"
        "    name              tail\n"
        "    path              /var/log/containers/*.log\n"
        "    tag               kube.*\n"
        "    multiline.parser  docker, cri\n"
        "    mem_buf_limit     50MB\n"
        "    skip_long_lines   on\n"
        f"    db                {TAIL_DB}\n"
        # One fluent-bit per node owns the file; nothing else reads it.
        "    db.locking        true\n"
        "\n"
        "[FILTER]\n"
        "    name              kubernetes\n"
        "    match             kube.*\n"
        "    merge_log         on\n"
        "\n"
        "[OUTPUT]\n"
        "    name              s3\n"
        "    match             kube.*\n"
        f"    bucket            {s3.bucket}\n"
        f"    region            {s3.region}\n"
        f"{endpoint}"
        "    total_file_size   50M\n"
        "    upload_timeout    10m\n"
        f"    store_dir         {STORE_DIR}\n"
        f"    s3_key_format     /{s3.prefix}/cluster/%Y/%m/%d/$TAG/%H%M%S-$UUID.log\n"
    )


def render_logging(s3: S3Settings | None = None) -> list[Manifest]:
    """The log-shipping objects, in apply order."""
    s3 = s3 or S3Settings(bucket="cdh-logs")
    labels = dict(_LABELS)
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            # hostPath mounts of /var/log need the privileged level.
            "labels": {names.MANAGED_BY: names.MANAGER, f"{PSA}/enforce": "privileged"},
        },
    }
    account = _obj("v1", "ServiceAccount", NAMESPACE)
    role = _obj("rbac.authorization.k8s.io/v1", "ClusterRole", None) | {
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["namespaces", "pods"],
                "verbs": ["get", "list", "watch"],
            }
        ]
    }
    binding = _obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None) | {
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": NAME,
        },
    }
    config = _obj("v1", "ConfigMap", NAMESPACE) | {
        "data": {"fluent-bit.conf": fluent_bit_config(s3)}
    }
    return [namespace, account, role, binding, config, _daemon_set(labels)]


def _obj(api: str, kind: str, namespace: str | None) -> Manifest:
    metadata: dict[str, Any] = {"name": NAME, "labels": dict(_LABELS)}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


def _secret_env(name: str, key: str) -> dict[str, Any]:
    return {
        "name": name,
        "valueFrom": {"secretKeyRef": {"name": CREDENTIALS, "key": key}},
    }


def _daemon_set(labels: dict[str, str]) -> Manifest:
    container = {
        "name": "fluent-bit",
        "image": IMAGE,
        "args": ["--config=/fluent-bit/etc/custom/fluent-bit.conf"],
        "env": [
            _secret_env("AWS_ACCESS_KEY_ID", "access_key_id"),
            _secret_env("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        ],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "256Mi"},
        },
        "securityContext": {"readOnlyRootFilesystem": True},
        "volumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "config", "mountPath": "/fluent-bit/etc/custom", "readOnly": True},
            {"name": "s3-buffer", "mountPath": STORE_DIR},
            {"name": "state", "mountPath": STATE_DIR},
        ],
    }
    return _obj("apps/v1", "DaemonSet", NAMESPACE) | {
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": NAME,
                    "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                    "volumes": [
                        {"name": "varlog", "hostPath": {"path": "/var/log"}},
                        {"name": "config", "configMap": {"name": NAME}},
                        {"name": "s3-buffer", "emptyDir": {}},
                        {
                            "name": "state",
                            "hostPath": {
                                "path": STATE_DIR,
                                "type": "DirectoryOrCreate",
                            },
                        },
                    ],
                },
            },
        }
    }
