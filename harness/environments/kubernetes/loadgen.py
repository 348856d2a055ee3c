"""Distributed load inside the tenant namespace: what it applies.

A load stage with ``workers: N`` on this backend runs locust next to the
services, in the tenant namespace, so the load does not travel through a
port-forward. Four objects, applied in this order:

1. a ConfigMap with the locustfile, the harness's load shape (if any) and
   ``cdh_master.py``, a small wrapper that runs the master;
2. a Service in front of the master's port 5557, so workers find it by
   name;
3. the master, a Job of one pod: ``locust --master --headless
   --expect-workers N`` against the target's cluster DNS URL, writing its
   CSV, JSON and HTML results into an ``emptyDir``. When locust exits, the
   wrapper prints those files (tar, gzip, base64) into the pod's log
   between two marker lines; the runner reads them back from the log, so
   the gate judges the master's aggregated statistics exactly as it does
   after a local run, and no port, volume or bucket is needed;
4. the workers, a Job of N pods (``parallelism`` = ``completions`` = N)
   running ``locust --worker``; they exit when the master tells them to.

Every pod passes the ``restricted`` Pod Security level, runs as the
tenant's ServiceAccount without a token, and talks only inside the
namespace, which the tenant's ``allow-same-namespace`` NetworkPolicy
permits (workers to the master, master and workers to the services).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.environments.kubernetes import names
from harness.environments.kubernetes.build import placement
from harness.environments.kubernetes.settings import KubernetesSettings
from harness.environments.kubernetes.tenant import WORKLOAD_ACCOUNT, Manifest
from harness.errors import LoadError

MASTER_PORT = 5557
FILES_DIR = "/mnt/cdh-load"
RESULTS_DIR = "/tmp/cdh-load"
RESULTS_PREFIX = "out"
REPORT = "report.html"
WRAPPER = "cdh_master.py"
LOCUSTFILE = "locustfile.py"
SHAPE = "cdh_shape.py"
BEGIN = "==> cdh-load-results"
END = "==> end cdh-load-results <=="
COMPONENT = "app.kubernetes.io/component"
LOAD = f"{names.PREFIX}/load"
APP = "cdh-locust"
START_MARGIN = 180
"""Seconds a load Job may take on top of the run for image pulls and scheduling."""
CONFIG_MAP_LIMIT = 900_000
"""Bytes of files a ConfigMap may carry (the API's limit is 1 MiB in all)."""

# Runs in the locust image: locust as a child, SIGTERM turned into SIGINT
# (locust writes its results on SIGINT), then the result files into the log.
WRAPPER_SOURCE = f'''"""cd-harness: run the locust master, then print its results."""
import base64, io, os, signal, subprocess, sys, tarfile

out = os.environ.get("CDH_LOAD_OUT", "{RESULTS_DIR}")
os.makedirs(out, exist_ok=True)
child = subprocess.Popen([sys.executable, "-m", "locust", *sys.argv[1:]])
signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGINT))
code = child.wait()
buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    for name in sorted(os.listdir(out)):
        tar.add(os.path.join(out, name), arcname=name)
sys.stderr.flush()
sys.stdout.write("{BEGIN} %d <==\\n" % code)
sys.stdout.write(base64.encodebytes(buffer.getvalue()).decode())
sys.stdout.write("{END}\\n")
sys.stdout.flush()
sys.exit(code)
'''


@dataclass(frozen=True)
class LoadPod:
    """How load pods run: image, resources, identity, placement.

    Kept as plain data in the deployment's details (``environment.json``),
    so the load stage's own process can apply the objects.
    """

    image: str
    worker_resources: dict[str, dict[str, str]]
    master_resources: dict[str, dict[str, str]]
    run_as_user: int = 1000
    placement: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: KubernetesSettings) -> LoadPod:
        load = settings.load
        return cls(
            image=load.image,
            worker_resources=load.worker_resources.manifest(),
            master_resources=load.master_resources.manifest(),
            run_as_user=load.run_as_user,
            placement=placement(settings, settings.tenant.runtime_class),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "worker_resources": self.worker_resources,
            "master_resources": self.master_resources,
            "run_as_user": self.run_as_user,
            "placement": self.placement,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadPod:
        return cls(
            image=str(data["image"]),
            worker_resources=dict(data.get("worker_resources", {})),
            master_resources=dict(data.get("master_resources", {})),
            run_as_user=int(data.get("run_as_user", 1000)),
            placement=dict(data.get("placement", {})),
        )


@dataclass(frozen=True)
class LoadSpec:
    """One distributed locust run, independent of where its files live.

    Attributes:
        name: the run's id; objects are ``locust-<name>…``.
        files: file name → text, delivered in the ConfigMap.
        master_args: locust's arguments for the master (after ``locust``).
        workers: worker pods.
        timeout: seconds the run may take once its pods run; Kubernetes
            stops the Jobs :data:`START_MARGIN` seconds after that.
        env: environment of the master (the load shape's steps).
    """

    name: str
    files: dict[str, str]
    master_args: list[str]
    workers: int
    timeout: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def master(self) -> str:
        return f"locust-{self.name}-master"

    @property
    def worker_job(self) -> str:
        return f"locust-{self.name}-workers"

    @property
    def config_map(self) -> str:
        return f"locust-{self.name}"

    def selector(self, component: str) -> str:
        return f"{LOAD}={self.name},{COMPONENT}={component}"


def run_name(*parts: str) -> str:
    """A short id for a load run's object names, from what identifies it."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def load_spec(
    *,
    name: str,
    locustfile: Path,
    host: str,
    users: int,
    spawn_rate: float,
    run_time: int,
    workers: int,
    timeout: float,
    worker_wait: int,
    stop_timeout: float,
    shape: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadSpec:
    """The spec of a distributed run of ``locustfile`` against ``host``.

    Args:
        host: the target's URL inside the cluster.
        shape: the source of a load shape locustfile, loaded beside
            ``locustfile``; users, spawn rate and run time then come from it.

    Raises:
        LoadError: the locustfile cannot be read or is too big for a ConfigMap.
    """
    try:
        files = {LOCUSTFILE: locustfile.read_text(encoding="utf-8")}
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(f"cannot read locustfile {locustfile}: {error}") from None
    files[WRAPPER] = WRAPPER_SOURCE
    targets = f"{FILES_DIR}/{LOCUSTFILE}"
    args = ["-f"]
    if shape is not None:
        files[SHAPE] = shape
        targets += f",{FILES_DIR}/{SHAPE}"
    args += [targets, "--headless"]
    if shape is None:
        args += ["--users", str(users), "--spawn-rate", f"{spawn_rate:g}"]
        args += ["--run-time", f"{run_time}s"]
    results = f"{RESULTS_DIR}/{RESULTS_PREFIX}"
    args += [
        "--master",
        "--master-bind-port",
        str(MASTER_PORT),
        "--expect-workers",
        str(workers),
        "--expect-workers-max-wait",
        str(worker_wait),
        "--host",
        host,
        "--csv",
        results,
        "--html",
        f"{RESULTS_DIR}/{REPORT}",
        "--json-file",
        f"{results}_final",
        "--only-summary",
        "--stop-timeout",
        f"{stop_timeout:g}",
        "--exit-code-on-error",
        "0",
    ]
    size = sum(len(text.encode()) for text in files.values())
    if size > CONFIG_MAP_LIMIT:
        raise LoadError(
            f"locustfile {locustfile} is {size} bytes with the harness's files; a "
            f"ConfigMap carries at most {CONFIG_MAP_LIMIT} — shrink it"
        )
    return LoadSpec(name, files, args, workers, int(timeout), dict(env or {}))


def render_load(spec: LoadSpec, namespace: str, pod: LoadPod) -> list[Manifest]:
    """The ConfigMap, master Service, master Job and worker Job, in apply order."""
    labels = {names.MANAGED_BY: names.MANAGER, names.SERVICE: APP, LOAD: spec.name}
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(spec.config_map, namespace, labels),
        "data": dict(sorted(spec.files.items())),
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(spec.master, namespace, labels),
        "spec": {
            "selector": {LOAD: spec.name, COMPONENT: "master"},
            "ports": [
                {
                    "name": "locust",
                    "port": MASTER_PORT,
                    "targetPort": "locust",
                    "protocol": "TCP",
                }
            ],
        },
    }
    master = _container(
        "master",
        pod,
        ["python", f"{FILES_DIR}/{WRAPPER}", *spec.master_args],
        pod.master_resources,
        env={"PYTHONUNBUFFERED": "1", "CDH_LOAD_OUT": RESULTS_DIR, **spec.env},
    )
    master["ports"] = [
        {"name": "locust", "containerPort": MASTER_PORT, "protocol": "TCP"}
    ]
    master["volumeMounts"].append({"name": "results", "mountPath": RESULTS_DIR})
    worker = _container(
        "worker",
        pod,
        [
            "python",
            "-m",
            "locust",
            "-f",
            f"{FILES_DIR}/{LOCUSTFILE}",
            "--worker",
            "--master-host",
            spec.master,
            "--master-port",
            str(MASTER_PORT),
        ],
        pod.worker_resources,
        env={"PYTHONUNBUFFERED": "1"},
    )
    return [
        config_map,
        service,
        _job(spec, namespace, labels, "master", master, pod, count=1),
        _job(spec, namespace, labels, "worker", worker, pod, count=spec.workers),
    ]


def _meta(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _container(
    name: str,
    pod: LoadPod,
    command: list[str],
    resources: dict[str, dict[str, str]],
    env: dict[str, str],
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": pod.image,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": pod.run_as_user,
        },
        "volumeMounts": [{"name": "files", "mountPath": FILES_DIR, "readOnly": True}],
    }
    if resources:
        container["resources"] = resources
    return container


def _job(
    spec: LoadSpec,
    namespace: str,
    labels: dict[str, str],
    component: str,
    container: dict[str, Any],
    pod: LoadPod,
    *,
    count: int,
) -> Manifest:
    pod_labels = labels | {COMPONENT: component}
    volumes: list[dict[str, Any]] = [
        {"name": "files", "configMap": {"name": spec.config_map}}
    ]
    if component == "master":
        volumes.append({"name": "results", "emptyDir": {}})
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": WORKLOAD_ACCOUNT,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
    }
    pod_spec |= pod.placement
    name = spec.master if component == "master" else spec.worker_job
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(name, namespace, pod_labels),
        "spec": {
            "parallelism": count,
            "completions": count,
            # A worker that crashes may be replaced; the master runs once.
            "backoffLimit": 0 if component == "master" else count,
            "activeDeadlineSeconds": spec.timeout + START_MARGIN,
            "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
        },
    }
