"""The connection to a cluster and how manifests reach it.

:func:`connect` honours kubeconfig contexts (``--context`` or the
``kubernetes.context`` setting) and falls back to the in-cluster service
account when no kubeconfig exists and the runner is a pod. :func:`preflight`
asks the API server for its version with a short timeout, so that a run
without a reachable cluster stops at once with one line naming the context
and host it tried. :func:`create` sends one rendered manifest through the
typed client: the manifest is first turned into the client's model class,
which rejects misspelt fields before anything is sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from harness.environments.kubernetes.tenant import Manifest
from harness.errors import EnvironmentError_

log = logging.getLogger(__name__)

PREFLIGHT_TIMEOUT = (3.0, 5.0)

# kind -> (API group attribute, method suffix, namespaced, model class name)
_KINDS: dict[str, tuple[str, str, bool, str]] = {
    "Namespace": ("core", "namespace", False, "V1Namespace"),
    "ServiceAccount": ("core", "service_account", True, "V1ServiceAccount"),
    "Role": ("rbac", "role", True, "V1Role"),
    "RoleBinding": ("rbac", "role_binding", True, "V1RoleBinding"),
    "NetworkPolicy": ("networking", "network_policy", True, "V1NetworkPolicy"),
    "ResourceQuota": ("core", "resource_quota", True, "V1ResourceQuota"),
    "LimitRange": ("core", "limit_range", True, "V1LimitRange"),
    "Secret": ("core", "secret", True, "V1Secret"),
    "ConfigMap": ("core", "config_map", True, "V1ConfigMap"),
    "Job": ("batch", "job", True, "V1Job"),
    "Deployment": ("apps", "deployment", True, "V1Deployment"),
    "Service": ("core", "service", True, "V1Service"),
}


@dataclass
class Cluster:
    """The typed API groups of one cluster connection.

    Attributes:
        target: what was tried, for messages: ``context kind-cdh at https://…``.
        in_cluster: the runner is a pod using its service account.
    """

    core: Any
    apps: Any
    batch: Any
    networking: Any
    rbac: Any
    version: Any = None
    api_client: Any = None
    target: str = "the cluster"
    in_cluster: bool = False


def connect(
    context: str | None = None,
    *,
    kubeconfig: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Cluster:
    """A :class:`Cluster` for ``context`` (the kubeconfig's current one if None).

    Raises:
        EnvironmentError_: no kubeconfig (and not in a cluster), or no such
            context.
    """
    from kubernetes import client, config

    configuration = client.Configuration()
    in_cluster = False
    where = kubeconfig or environ.get("KUBECONFIG") or "~/.kube/config"
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
        name = context or _current_context(kubeconfig)
    except config.ConfigException as error:
        if not (context is None and environ.get("KUBERNETES_SERVICE_HOST")):
            raise _no_kubeconfig(context, where, str(error)) from None
        try:
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        except config.ConfigException as inside:
            raise EnvironmentError_(
                f"no kubeconfig at {where}, and the in-cluster service account "
                f"is unusable ({inside}) — point KUBECONFIG at a cluster, or "
                "mount the pod's service account token"
            ) from None
        in_cluster, name = True, "in-cluster service account"
    # The client reads the file with no checks of its own: a folder, bad
    # YAML or a wrong shape surface as these instead of ConfigException.
    except (OSError, yaml.YAMLError, ValueError, TypeError, AttributeError) as error:
        problem = getattr(error, "strerror", None) or (
            "not a valid kubeconfig: " + " ".join(str(error).split())[:200]
        )
        raise _no_kubeconfig(context, where, problem) from None
    configuration.retries = 1
    api_client = client.ApiClient(configuration)
    target = f"context {name} at {configuration.host}" if not in_cluster else name
    return Cluster(
        core=client.CoreV1Api(api_client),
        apps=client.AppsV1Api(api_client),
        batch=client.BatchV1Api(api_client),
        networking=client.NetworkingV1Api(api_client),
        rbac=client.RbacAuthorizationV1Api(api_client),
        version=client.VersionApi(api_client),
        api_client=api_client,
        target=target,
        in_cluster=in_cluster,
    )


def _no_kubeconfig(context: str | None, where: str, problem: str) -> EnvironmentError_:
    return EnvironmentError_(
        f"no usable kubeconfig for the kubernetes environment "
        f"(context {context or '(current)'} in {where}: {problem}) — "
        "point KUBECONFIG at a cluster, pass --context, or run with --env local"
    )


def _current_context(kubeconfig: str | None) -> str:
    from kubernetes import config

    try:
        _, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=kubeconfig
        )
    except config.ConfigException:
        return "(current)"
    return str(active.get("name", "(current)")) if active else "(current)"


def preflight(cluster: Cluster) -> str:
    """The API server's version; fails fast when it cannot be reached.

    Raises:
        EnvironmentError_: the server did not answer, or refused us.
    """
    # urllib3 warns on each retry; the one line below says it all.
    pool_log = logging.getLogger("urllib3.connectionpool")
    level = pool_log.level
    pool_log.setLevel(logging.ERROR)
    try:
        info = cluster.version.get_code(_request_timeout=PREFLIGHT_TIMEOUT)
    except Exception as error:
        status = getattr(error, "status", None)
        if isinstance(status, int):
            problem = f"it answered {status} {getattr(error, 'reason', '')}".rstrip()
            fix = "check the credentials of this context"
        else:
            problem = f"no answer ({_root_cause(error)})"
            fix = "start it, pick another with --context, or run with --env local"
        raise EnvironmentError_(
            f"cannot reach the Kubernetes API ({cluster.target}): {problem} — {fix}"
        ) from None
    finally:
        pool_log.setLevel(level)
    version = str(getattr(info, "git_version", "") or "unknown version")
    log.info("connected to %s (%s)", cluster.target, version)
    return version


def _root_cause(error: BaseException) -> str:
    reason: object = getattr(error, "reason", None)
    while isinstance(reason, BaseException) and getattr(reason, "reason", None):
        reason = getattr(reason, "reason", None)
    text = str(reason or error)
    return " ".join(text.split())[:200]


def model_of(manifest: Manifest) -> Any:
    """``manifest`` as the client's model object (unknown fields rejected)."""
    from kubernetes import client

    kind = manifest["kind"]
    if kind not in _KINDS:
        raise EnvironmentError_(
            f"cannot apply a {kind}: the harness does not create that kind"
        )
    model = getattr(client, _KINDS[kind][3])
    return model.from_dict(manifest)


def create(cluster: Cluster, manifest: Manifest) -> Any:
    """Create one object; returns what the API server answered."""
    group, suffix, namespaced, _ = _KINDS[manifest["kind"]]
    api = getattr(cluster, group)
    body = model_of(manifest)
    log.debug("creating %s %s", manifest["kind"], manifest["metadata"]["name"])
    if namespaced:
        method = getattr(api, f"create_namespaced_{suffix}")
        return method(manifest["metadata"]["namespace"], body)
    return getattr(api, f"create_{suffix}")(body)
