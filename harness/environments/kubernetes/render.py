"""What a run applies, as plain manifests: for ``cdh render`` and for a run.

:func:`plan_run` decides every object of a run except the Deployments
(their images are pinned to digests only known after the builds);
:func:`render_run` adds Deployments with tag-addressed images and returns
the whole list in apply order, which ``cdh render PIPELINE --env
kubernetes --out DIR`` writes with :func:`.output.write_manifests`.

``cdh render`` uses the run id :data:`RENDER_RUN_ID` and leaves out the
expiry label: rendering the same input again gives the same files, and
``cdh gc`` leaves the namespaces a GitOps tool applied from them alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.environments.kubernetes import build as kaniko
from harness.environments.kubernetes import names
from harness.environments.kubernetes.context import pack_context
from harness.environments.kubernetes.deploy import render_service, service_url
from harness.environments.kubernetes.loadgen import LoadPod, render_load, run_name
from harness.environments.kubernetes.settings import (
    KubernetesSettings,
    S3Settings,
    load_settings,
)
from harness.environments.kubernetes.shipping import render_logging
from harness.environments.kubernetes.tenant import Manifest, Tenant, render_tenant
from harness.errors import ConfigError
from harness.model import Pipeline, System

Packer = Callable[[Path], bytes]

RENDER_RUN_ID = "render"


@dataclass
class RunPlan:
    """Everything a run creates before its Deployments, in apply order.

    Attributes:
        uploads: S3 key → context bytes, for contexts too big for a ConfigMap.
        secret_values: strings that must never reach a log or a message.
    """

    tenant: Tenant
    build: Tenant
    isolation: list[Manifest]
    secrets: list[Manifest]
    requests: dict[str, kaniko.BuildRequest]
    builds: dict[str, list[Manifest]]
    uploads: dict[str, bytes] = field(default_factory=dict)
    secret_values: list[str] = field(default_factory=list)

    @property
    def namespaces(self) -> list[str]:
        return [self.tenant.namespace, self.build.namespace]


def plan_run(
    system: System,
    settings: KubernetesSettings,
    *,
    pipeline: str,
    run_id: str,
    now: float | None = None,
    environ: Mapping[str, str] = os.environ,
    pack: Packer = pack_context,
) -> RunPlan:
    """Decide the isolation objects, Secrets and builds of one run."""
    builder = kaniko.KanikoBuilder(settings)
    namespace = names.namespace_name(pipeline, run_id)
    expires = int((now if now is not None else time.time()) + settings.tenant.ttl)
    tenant = Tenant(namespace, names.TENANT, pipeline, run_id, expires)
    build_tenant = Tenant(
        names.build_namespace_name(namespace), names.BUILD, pipeline, run_id, expires
    )
    isolation = render_tenant(tenant, settings) + render_tenant(build_tenant, settings)

    secrets: list[Manifest] = []
    hidden: list[str] = []
    config = kaniko.registry_config(settings, environ)
    if config is not None:
        hidden += _secret_strings(config, environ)
        secrets += [
            kaniko.registry_secret(build_tenant.namespace, config),
            kaniko.registry_secret(tenant.namespace, config),
        ]

    requests: dict[str, kaniko.BuildRequest] = {}
    builds: dict[str, list[Manifest]] = {}
    uploads: dict[str, bytes] = {}
    s3_secret = False
    for service in system.start_order():
        packed = pack(service.path)
        context = "inline"
        if len(packed) > settings.builder.inline_limit:
            key = _context_key(settings, run_id, service.name, packed)
            context = f"s3://{_s3(settings, service.name).bucket}/{key}"
            uploads[key] = packed
            s3_secret = s3_secret or _add_s3_secret(
                secrets, hidden, build_tenant, environ
            )
        own = settings.service(service.name)
        request = kaniko.BuildRequest(
            service=service.name,
            namespace=build_tenant.namespace,
            repository=f"{settings.destination}/{service.name}",
            tag=names.label_value(run_id) or "latest",
            context=context,
            build_args=dict(own.build_args),
            registry_secret=config is not None,
            s3_secret=s3_secret,
        )
        requests[service.name] = request
        objects = builder.render(request)
        if context == "inline":
            objects.insert(0, kaniko.context_config_map(request, packed))
        builds[service.name] = objects
    return RunPlan(
        tenant, build_tenant, isolation, secrets, requests, builds, uploads, hidden
    )


def render_workloads(
    system: System,
    settings: KubernetesSettings,
    plan: RunPlan,
    images: Mapping[str, str],
) -> list[Manifest]:
    """Deployments and Services of every service, with the given images."""
    found: list[Manifest] = []
    for service in system.start_order():
        found += render_service(
            service,
            system.services,
            namespace=plan.tenant.namespace,
            image=images[service.name],
            run_id=plan.tenant.run_id,
            settings=settings,
            pull_secret=bool(plan.secrets),
        )
    return found


def render_run(
    pipeline: Pipeline,
    run_id: str,
    *,
    settings: KubernetesSettings | None = None,
    environ: Mapping[str, str] = os.environ,
    now: float | None = None,
    expires: bool = True,
) -> list[Manifest]:
    """Every manifest a run of ``pipeline`` would apply, in apply order.

    Images are addressed by the run's tag; a real run pins the digests its
    builds report instead.

    Args:
        expires: give the namespaces the ``cd-harness/expires`` label that
            lets ``cdh gc`` delete them; ``cdh render`` passes False.
    """
    system = pipeline.system
    settings = settings or load_settings(system.source, tuple(system.services))
    plan = plan_run(
        system,
        settings,
        pipeline=pipeline.name,
        run_id=run_id,
        now=now,
        environ=environ,
    )
    images = {name: request.image for name, request in plan.requests.items()}
    jobs = [obj for objects in plan.builds.values() for obj in objects]
    workloads = render_workloads(system, settings, plan, images)
    load = render_load_stages(pipeline, settings, plan.tenant.namespace)
    objects = plan.isolation + plan.secrets + jobs + workloads + load
    if not expires:
        for obj in objects:
            if obj["kind"] == "Namespace":
                obj["metadata"]["labels"].pop(names.EXPIRES, None)
    return objects


def render_load_stages(
    pipeline: Pipeline, settings: KubernetesSettings, namespace: str
) -> list[Manifest]:
    """The in-cluster locust objects of every load stage with ``workers``.

    Rendered from the stage's settings the way the load stage builds them
    at run time (a run names its objects after the run, not the stage).
    """
    from harness.load.distributed import spec_for
    from harness.load.runner import LocustRun
    from harness.load.shape import bounded, length, parse_shape, peak, write_shape

    found: list[Manifest] = []
    pod = LoadPod.from_settings(settings)
    for stage in pipeline.stages.values():
        load = stage.load
        if load is None or not load.workers:
            continue
        host = service_url(pipeline.system.services[load.target], namespace, settings)
        with tempfile.TemporaryDirectory() as folder:
            steps = (
                bounded(parse_shape(load.shape), load.duration) if load.shape else ()
            )
            shape_file, env = write_shape(Path(folder), steps) if steps else (None, {})
            run = LocustRun(
                locustfile=load.locustfile,
                host=host,
                users=peak(steps) or load.users,
                spawn_rate=load.spawn_rate,
                duration=length(steps) or load.duration,
                csv_prefix=Path(folder) / "out",
                html=Path(folder) / "report.html",
                workers=load.workers,
                shape_file=shape_file,
                env=env,
            )
            spec = spec_for(run, host, run_name(pipeline.name, stage.name))
        found += render_load(spec, namespace, pod)
    return found


def render_logging_objects(system_file: Path | None = None) -> list[Manifest]:
    """The log-shipping DaemonSet set, using the system file's ``logs:`` bucket."""
    settings = load_settings(system_file) if system_file is not None else None
    return render_logging(settings.logs if settings else None)


def _secret_strings(config: bytes, environ: Mapping[str, str]) -> list[str]:
    found = [
        base64.b64encode(config).decode(),
        environ.get("CDH_REGISTRY_PASSWORD", ""),
    ]
    auths = json.loads(config).get("auths", {})
    for entry in auths.values() if isinstance(auths, dict) else ():
        if not isinstance(entry, dict):
            continue
        found += [str(entry.get(k, "")) for k in ("auth", "password", "identitytoken")]
        try:
            decoded = base64.b64decode(
                str(entry.get("auth", "")), validate=True
            ).decode()
        except ValueError:
            continue
        found.append(decoded.partition(":")[2])
    return [value for value in found if len(value) >= 4]


def _s3(settings: KubernetesSettings, service: str) -> S3Settings:
    if settings.builder.s3 is None:
        raise ConfigError(
            settings.source or "system.yaml",
            None,
            f"the build context of {service} is over builder.inline_limit "
            f"({settings.builder.inline_limit} bytes) and no bucket is set",
            "set kubernetes.builder.s3.bucket, or shrink the context with "
            ".dockerignore",
        )
    return settings.builder.s3


def _context_key(
    settings: KubernetesSettings, run_id: str, service: str, data: bytes
) -> str:
    digest = hashlib.sha256(data).hexdigest()[:16]
    prefix = _s3(settings, service).prefix
    return "/".join(
        p for p in (prefix, "contexts", run_id, f"{service}-{digest}.tar.gz") if p
    )


def _add_s3_secret(
    secrets: list[Manifest],
    hidden: list[str],
    tenant: Tenant,
    environ: Mapping[str, str],
) -> bool:
    key_id = environ.get("AWS_ACCESS_KEY_ID")
    secret = environ.get("AWS_SECRET_ACCESS_KEY")
    if not (key_id and secret):
        return False
    hidden += [secret]
    secrets.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": kaniko.S3_SECRET,
                "namespace": tenant.namespace,
                "labels": {names.MANAGED_BY: names.MANAGER},
            },
            "type": "Opaque",
            "data": {
                "AWS_ACCESS_KEY_ID": base64.b64encode(key_id.encode()).decode(),
                "AWS_SECRET_ACCESS_KEY": base64.b64encode(secret.encode()).decode(),
            },
        }
    )
    return True
