"""The Kubernetes backend: build, deploy into a fresh tenant, tear down.

One run gets two namespaces (see :mod:`.tenant`). :meth:`deploy` applies
every isolation object of both before any workload, waits until the quota
is in force, builds each service's image with kaniko in the build
namespace, pins the reported digests in the tenant's Deployments and waits
for their rollout, naming the reason when one cannot finish. The services
are then reached by port-forward from the runner, or by cluster DNS when
the runner itself is a pod. :meth:`teardown` deletes both namespaces and
waits for them, unless ``keep_on_failure`` asks to keep a failed run's.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.environments.base import Deployment, Environment
from harness.environments.kubernetes import names
from harness.environments.kubernetes.building import BuildRun
from harness.environments.kubernetes.cleanup import Clock, delete_namespace
from harness.environments.kubernetes.client import Cluster, connect, create, preflight
from harness.environments.kubernetes.deploy import (
    rollout_done,
    rollout_failure,
    service_url,
)
from harness.environments.kubernetes.loadgen import LoadPod
from harness.environments.kubernetes.logs import (
    collect_service_logs,
    pod_log,
    redact,
    upload_logs,
    write_debug_bundle,
)
from harness.environments.kubernetes.portforward import PortForward
from harness.environments.kubernetes.render import RunPlan, plan_run, render_workloads
from harness.environments.kubernetes.settings import KubernetesSettings, load_settings
from harness.environments.kubernetes.tenant import QUOTA, Manifest
from harness.errors import ConfigError, EnvironmentError_
from harness.model import System

log = logging.getLogger(__name__)

Connector = Callable[[str | None], Cluster]
S3Factory = Callable[[Any], Any]


def _connect(context: str | None) -> Cluster:
    return connect(context)


def _boto3_client(s3: Any) -> Any:
    try:
        import boto3  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise EnvironmentError_(
            "S3 upload needs boto3 — pip install boto3, or drop the s3 settings"
        ) from None
    return boto3.client("s3", endpoint_url=s3.endpoint, region_name=s3.region)


class KubernetesEnvironment(Environment):
    """Runs the system in a fresh, isolated namespace of a cluster.

    Args:
        run_dir: the run folder (logs, build logs, debug bundles).
        tenant: the run id; the namespace is named from it and ``pipeline``.
        pipeline: the pipeline's name.
        context: the kubeconfig context; overrides ``kubernetes.context``.
        keep_on_failure: keep a failed run's namespaces for debugging.
        settings: the backend settings; read from the system file if None.
        connector: makes the :class:`Cluster` (tests pass a stand-in).
    """

    name = "kubernetes"

    def __init__(
        self,
        run_dir: Path,
        tenant: str = "run",
        *,
        pipeline: str = "run",
        context: str | None = None,
        keep_on_failure: bool = False,
        settings: KubernetesSettings | None = None,
        connector: Connector = _connect,
        s3_client: S3Factory = _boto3_client,
        clock: Clock | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.run_dir = run_dir
        self.run_id = tenant
        self.pipeline = pipeline
        self.context = context
        self.keep_on_failure = keep_on_failure
        self.settings = settings
        self.failed = False
        self._connector = connector
        self._s3_client = s3_client
        self._clock = clock or Clock()
        self._environ = environ
        self._cluster: Cluster | None = None
        self._plan: RunPlan | None = None
        self._namespaces: list[str] = []
        self._forwards: list[PortForward] = []

    def mark_failed(self) -> None:
        """The run failed after deploy: keep a debug bundle (and, with
        keep_on_failure, the namespaces)."""
        if not self.failed:
            self._debug_bundle()
        self.failed = True

    # --- deploy ---------------------------------------------------------

    def deploy(self, system: System) -> Deployment:
        settings = self.settings or load_settings(system.source, tuple(system.services))
        self.settings = settings
        _check_runnable(settings)
        cluster = self._connector(self.context or settings.context)
        preflight(cluster)
        self._cluster = cluster

        plan = plan_run(
            system,
            settings,
            pipeline=self.pipeline,
            run_id=self.run_id,
            now=self._clock.wall(),
            environ=self._environ,
        )
        self._plan = plan
        try:
            self._apply_isolation(plan)
            for secret in plan.secrets:
                self._create(secret)
            images = self._build(plan)
            for manifest in render_workloads(system, settings, plan, images):
                self._create(manifest)
            for service in system.start_order():
                self._wait_rollout(service.name)
            services, access = self._expose(system)
        except BaseException:
            self.failed = True
            self._debug_bundle()
            raise
        return Deployment(
            backend=self.name,
            tenant=plan.tenant.namespace,
            services=services,
            access=access,
            run_dir=str(self.run_dir),
            details={
                "namespace": plan.tenant.namespace,
                "build_namespace": plan.build.namespace,
                "images": images,
                "cluster": cluster.target,
                "context": self.context or settings.context,
                "cluster_urls": {
                    s.name: service_url(s, plan.tenant.namespace, settings)
                    for s in system.start_order()
                },
                "load": LoadPod.from_settings(settings).to_dict(),
            },
        )

    def _create(self, manifest: Manifest) -> Any:
        assert self._cluster is not None
        meta = manifest["metadata"]
        try:
            return create(self._cluster, manifest)
        except Exception as error:
            status = getattr(error, "status", None)
            if not isinstance(status, int):
                raise
            detail = _api_message(error)
            hidden = self._plan.secret_values if self._plan else []
            raise EnvironmentError_(
                f"the API refused to create {manifest['kind']} {meta['name']}"
                f"{' in ' + meta['namespace'] if 'namespace' in meta else ''}: "
                f"{status} {redact(detail, hidden)} — check the permissions of "
                f"{self._cluster.target}"
            ) from None

    def _apply_isolation(self, plan: RunPlan) -> None:
        for manifest in plan.isolation:
            if manifest["kind"] == "Namespace":
                # Recorded before creation: teardown removes even a half-made tenant.
                self._namespaces.append(manifest["metadata"]["name"])
            self._create(manifest)
            if manifest["kind"] == "Namespace":
                log.info("created namespace %s", manifest["metadata"]["name"])
        for namespace in plan.namespaces:
            self._wait_quota(namespace)

    def _wait_quota(self, namespace: str) -> None:
        # Until the quota controller fills in status.hard, admission refuses
        # pods with "status unknown for quota".
        assert self._cluster is not None
        deadline = self._clock.now() + 30.0
        while True:
            quota = self._cluster.core.read_namespaced_resource_quota(QUOTA, namespace)
            if quota.status is not None and quota.status.hard:
                return
            if self._clock.now() > deadline:
                raise EnvironmentError_(
                    f"the resource quota in {namespace} was not in force after 30s "
                    "— is the cluster's quota controller running?"
                )
            self._clock.sleep(0.5)

    # --- build ----------------------------------------------------------

    def _build(self, plan: RunPlan) -> dict[str, str]:
        assert self._cluster is not None and self.settings is not None
        builds = BuildRun(
            self._cluster,
            self.settings,
            plan,
            self.run_dir,
            create=self._create,
            clock=self._clock,
            s3_client=self._s3_client(self.settings.builder.s3)
            if plan.uploads
            else None,
        )
        return builds.run()

    # --- rollout and access ----------------------------------------------

    def _wait_rollout(self, service: str) -> None:
        assert self._cluster is not None and self._plan is not None
        assert self.settings is not None
        core, apps = self._cluster.core, self._cluster.apps
        namespace = self._plan.tenant.namespace
        timeout = self.settings.rollout_timeout
        deadline = self._clock.now() + timeout

        def previous_log(pod: str, container: str) -> str:
            return pod_log(core, pod, namespace, container, previous=True)

        while True:
            deployment = apps.read_namespaced_deployment(service, namespace)
            if rollout_done(deployment):
                log.info("%s rolled out in %s", service, namespace)
                return
            pods = (
                core.list_namespaced_pod(
                    namespace, label_selector=f"{names.SERVICE}={service}"
                ).items
                or []
            )
            reason = rollout_failure(deployment, pods, previous_log)
            if reason is not None:
                raise EnvironmentError_(
                    f"service {service} did not roll out in {namespace}: {reason}"
                )
            if self._clock.now() > deadline:
                raise EnvironmentError_(
                    f"service {service} not ready in {namespace} after {timeout:g}s — "
                    "raise kubernetes.rollout_timeout or see the debug bundle in "
                    f"{self.run_dir / 'debug'}"
                )
            self._clock.sleep(1.0)

    def _expose(self, system: System) -> tuple[dict[str, str], str]:
        assert self._cluster is not None and self._plan is not None
        assert self.settings is not None
        namespace = self._plan.tenant.namespace
        access = self.settings.access
        if access == "auto":
            access = "cluster-dns" if self._cluster.in_cluster else "port-forward"
        if access == "cluster-dns":
            urls = {
                s.name: service_url(s, namespace, self.settings)
                for s in system.start_order()
            }
            return urls, access
        urls = {}
        for service in system.start_order():
            pod = self._ready_pod(namespace, service.name)
            forward = PortForward(self._cluster.core, namespace, pod, service.port)
            self._forwards.append(forward)
            urls[service.name] = forward.url
        return urls, access

    def _ready_pod(self, namespace: str, service: str) -> str:
        assert self._cluster is not None
        pods = (
            self._cluster.core.list_namespaced_pod(
                namespace, label_selector=f"{names.SERVICE}={service}"
            ).items
            or []
        )
        for pod in sorted(pods, key=lambda p: p.metadata.name):
            for condition in (pod.status.conditions or ()) if pod.status else ():
                if condition.type == "Ready" and condition.status == "True":
                    return str(pod.metadata.name)
        raise EnvironmentError_(f"service {service} has no ready pod in {namespace}")

    # --- logs and teardown -----------------------------------------------

    def collect_logs(self) -> None:
        if self._cluster is None or self._plan is None or not self._namespaces:
            return
        try:
            files = collect_service_logs(
                self._cluster.core,
                self._plan.tenant.namespace,
                self.run_dir / "logs",
                self._plan.secret_values,
            )
            if self.settings is not None and self.settings.logs is not None and files:
                client = self._s3_client(self.settings.logs)
                when = datetime.fromtimestamp(self._clock.wall(), timezone.utc)
                upload_logs(client, self.settings.logs, self.run_id, files, when)
        except Exception as error:  # logs are best effort; teardown must still run
            log.warning(
                "could not collect logs from %s: %s", self._plan.tenant.namespace, error
            )

    def _debug_bundle(self) -> None:
        if self._cluster is None or self._plan is None:
            return
        for namespace in self._namespaces:
            try:
                write_debug_bundle(
                    self._cluster.core,
                    self._cluster.apps,
                    self._cluster.batch,
                    namespace,
                    self.run_dir / "debug",
                    self._plan.secret_values,
                )
            except Exception as error:  # a bundle must not hide the real failure
                log.warning(
                    "could not write the debug bundle of %s: %s", namespace, error
                )

    def teardown(self) -> None:
        while self._forwards:
            self._forwards.pop().close()
        if not self._namespaces or self._cluster is None:
            return
        if self.failed and self.keep_on_failure:
            kept = ", ".join(self._namespaces)
            log.warning(
                "keeping namespaces %s of the failed run (--keep-on-failure)", kept
            )
            (self.run_dir / "kept-namespaces.json").write_text(
                json.dumps(self._namespaces) + "\n"
            )
            self._namespaces = []
            return
        timeout = self.settings.delete_timeout if self.settings else 120.0
        problems = []
        while self._namespaces:
            namespace = self._namespaces.pop(0)
            try:
                delete_namespace(
                    self._cluster.core, namespace, timeout=timeout, clock=self._clock
                )
            except EnvironmentError_ as error:
                problems.append(str(error))
        if problems:
            raise EnvironmentError_("; ".join(problems))


def _check_runnable(settings: KubernetesSettings) -> None:
    source = settings.source or "system.yaml"
    if settings.registry.destination is None:
        raise ConfigError(
            source,
            None,
            "kubernetes.registry.destination is not set",
            "name the repository images are pushed to, e.g. "
            "kubernetes: {registry: {destination: registry.example:5000/shop}}",
        )
    if not settings.builder.push:
        raise ConfigError(
            source,
            None,
            "kubernetes.builder.push is false, so no image could be deployed",
            "set push: true for runs; push: false suits `cdh render` only",
        )


def _api_message(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if body:
        try:
            return str(json.loads(body).get("message", body))
        except (ValueError, AttributeError):
            return str(body)[:300]
    return str(getattr(error, "reason", "") or error)
