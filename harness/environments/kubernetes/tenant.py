"""The isolation objects of a run: namespace, identity, network, budget.

:func:`render_tenant` returns them in the order they must be applied: the
namespace first, then everything that constrains what runs in it. Nothing
here talks to a cluster; :mod:`.environment` applies the list as given.

Two namespaces per run carry the same objects. The tenant namespace, where
the services run, enforces the ``restricted`` Pod Security level. The build
namespace enforces ``baseline``, because kaniko unpacks images as uid 0
and can never pass ``restricted``; builds there get egress to registries
and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.environments.kubernetes import names
from harness.environments.kubernetes.settings import KubernetesSettings

Manifest = dict[str, Any]

PSA = "pod-security.kubernetes.io"
WORKLOAD_ACCOUNT = "cdh-workload"
BUILDER_ACCOUNT = "cdh-builder"
QUOTA = "cdh-quota"
LIMITS = "cdh-limits"
DNS_PORT = 53

ISOLATION_KINDS = (
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
)


@dataclass(frozen=True)
class Tenant:
    """One namespace of a run and what it is for."""

    namespace: str
    role: str  # names.TENANT or names.BUILD
    pipeline: str
    run_id: str
    expires: int

    @property
    def account(self) -> str:
        return WORKLOAD_ACCOUNT if self.role == names.TENANT else BUILDER_ACCOUNT

    @property
    def pod_security(self) -> str:
        return "restricted" if self.role == names.TENANT else "baseline"


def render_tenant(tenant: Tenant, settings: KubernetesSettings) -> list[Manifest]:
    """Every isolation object of ``tenant``, in apply order."""
    ns = tenant.namespace
    objects = [
        _namespace(tenant, settings),
        _meta("v1", "ServiceAccount", tenant.account, ns)
        | {"automountServiceAccountToken": False},
        _role(tenant),
        _role_binding(tenant),
        *_network_policies(tenant, settings),
        _meta("v1", "ResourceQuota", QUOTA, ns)
        | {"spec": {"hard": dict(settings.tenant.quota)}},
        _limit_range(tenant, settings),
    ]
    return objects


def _meta(api: str, kind: str, name: str, namespace: str | None = None) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = {names.MANAGED_BY: names.MANAGER}
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


def _namespace(tenant: Tenant, settings: KubernetesSettings) -> Manifest:
    labels = names.namespace_labels(
        pipeline=tenant.pipeline,
        run_id=tenant.run_id,
        owner=settings.tenant.owner,
        expires=tenant.expires,
        role=tenant.role,
    )
    for mode in ("enforce", "audit", "warn"):
        labels[f"{PSA}/{mode}"] = tenant.pod_security
        labels[f"{PSA}/{mode}-version"] = "latest"
    manifest = _meta("v1", "Namespace", tenant.namespace)
    manifest["metadata"]["labels"] = labels
    return manifest


def _role(tenant: Tenant) -> Manifest:
    if tenant.role == names.TENANT:
        # Service discovery at most; workloads get no write access.
        rules = [
            {
                "apiGroups": [""],
                "resources": ["configmaps", "endpoints", "pods", "services"],
                "verbs": ["get", "list", "watch"],
            }
        ]
    else:
        rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    return _meta(
        "rbac.authorization.k8s.io/v1", "Role", tenant.account, tenant.namespace
    ) | {"rules": rules}


def _role_binding(tenant: Tenant) -> Manifest:
    return _meta(
        "rbac.authorization.k8s.io/v1", "RoleBinding", tenant.account, tenant.namespace
    ) | {
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": tenant.account,
                "namespace": tenant.namespace,
            }
        ],
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": tenant.account,
        },
    }


def _policy(tenant: Tenant, name: str, spec: dict[str, Any]) -> Manifest:
    api = "networking.k8s.io/v1"
    return _meta(api, "NetworkPolicy", name, tenant.namespace) | {"spec": spec}


def _network_policies(tenant: Tenant, settings: KubernetesSettings) -> list[Manifest]:
    everyone: dict[str, Any] = {}
    dns_peer = {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
        },
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    policies = [
        _policy(
            tenant,
            "default-deny",
            {"podSelector": everyone, "policyTypes": ["Ingress", "Egress"]},
        ),
        _policy(
            tenant,
            "allow-same-namespace",
            {
                "podSelector": everyone,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": everyone}]}],
                "egress": [{"to": [{"podSelector": everyone}]}],
            },
        ),
        _policy(
            tenant,
            "allow-dns",
            {
                "podSelector": everyone,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [dns_peer],
                        "ports": [
                            {"protocol": "UDP", "port": DNS_PORT},
                            {"protocol": "TCP", "port": DNS_PORT},
                        ],
                    }
                ],
            },
        ),
    ]
    runner = settings.tenant.runner_namespace
    if tenant.role == names.TENANT and runner:
        runner_peer = {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": runner}
            }
        }
        policies.append(
            _policy(
                tenant,
                "allow-runner",
                {
                    "podSelector": everyone,
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [runner_peer]}],
                },
            )
        )
    if tenant.role == names.BUILD:
        ports = [{"protocol": "TCP", "port": p} for p in settings.builder.egress_ports]
        policies.append(
            _policy(
                tenant,
                "allow-registry-egress",
                {
                    "podSelector": everyone,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": ports}
                    ],
                },
            )
        )
    return policies


def _limit_range(tenant: Tenant, settings: KubernetesSettings) -> Manifest:
    # Defaults let pods without requests schedule under the quota.
    limit = {
        "type": "Container",
        "default": dict(settings.tenant.default_limit),
        "defaultRequest": dict(settings.tenant.default_request),
    }
    return _meta("v1", "LimitRange", LIMITS, tenant.namespace) | {
        "spec": {"limits": [limit]}
    }
