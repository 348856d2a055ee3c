"""Policy tests on the rendered tenant: what isolates one run from the rest."""

from __future__ import annotations

import re

import pytest
from k8s_fakes import RUN_ID

from harness.environments.kubernetes import names
from harness.environments.kubernetes.settings import KubernetesSettings, TenantSettings
from harness.environments.kubernetes.tenant import Tenant, render_tenant

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
NS = "cdh-ci-" + RUN_ID


def _tenant(role: str = names.TENANT, namespace: str = NS) -> Tenant:
    return Tenant(namespace, role, "ci", RUN_ID, 1_700_007_200)


def _by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def _policies(objects: list[dict]) -> dict[str, dict]:
    return {
        o["metadata"]["name"]: o["spec"] for o in _by_kind(objects, "NetworkPolicy")
    }


@pytest.mark.parametrize("role", [names.TENANT, names.BUILD])
def test_namespace_comes_first_and_everything_else_lives_in_it(role: str) -> None:
    namespace = NS if role == names.TENANT else names.build_namespace_name(NS)
    objects = render_tenant(_tenant(role, namespace), KubernetesSettings())

    assert objects[0]["kind"] == "Namespace"
    assert all(o["metadata"]["namespace"] == namespace for o in objects[1:])


@pytest.mark.parametrize("role", [names.TENANT, names.BUILD])
def test_role_has_no_wildcards_and_no_write_verbs(role: str) -> None:
    (role_obj,) = _by_kind(render_tenant(_tenant(role), KubernetesSettings()), "Role")

    for rule in role_obj["rules"]:
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[key]
        assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert "secrets" not in rule["resources"]


def test_role_binding_binds_the_tenants_own_account_in_its_own_namespace() -> None:
    objects = render_tenant(_tenant(), KubernetesSettings())
    (binding,) = _by_kind(objects, "RoleBinding")
    (account,) = _by_kind(objects, "ServiceAccount")
    (role,) = _by_kind(objects, "Role")

    (subject,) = binding["subjects"]
    assert subject == {
        "kind": "ServiceAccount",
        "name": account["metadata"]["name"],
        "namespace": NS,
    }
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert account["automountServiceAccountToken"] is False


def test_default_deny_covers_ingress_and_egress_for_every_pod() -> None:
    policies = _policies(render_tenant(_tenant(), KubernetesSettings()))

    deny = policies["default-deny"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny


def test_dns_egress_is_allowed_to_cluster_dns_only_on_port_53() -> None:
    dns = _policies(render_tenant(_tenant(), KubernetesSettings()))["allow-dns"]

    (rule,) = dns["egress"]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [
        ("TCP", 53),
        ("UDP", 53),
    ]
    (peer,) = rule["to"]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    assert peer["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


def test_traffic_inside_the_namespace_is_allowed_both_ways() -> None:
    same = _policies(render_tenant(_tenant(), KubernetesSettings()))[
        "allow-same-namespace"
    ]

    assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert same["egress"] == [{"to": [{"podSelector": {}}]}]


def test_runner_namespace_ingress_only_when_configured() -> None:
    plain = _policies(render_tenant(_tenant(), KubernetesSettings()))
    settings = KubernetesSettings(tenant=TenantSettings(runner_namespace="ci-runners"))
    configured = _policies(render_tenant(_tenant(), settings))

    assert "allow-runner" not in plain
    (rule,) = configured["allow-runner"]["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": "ci-runners"}
            }
        }
    ]


def test_only_the_build_namespace_may_reach_registries() -> None:
    tenant = _policies(render_tenant(_tenant(), KubernetesSettings()))
    build = _policies(render_tenant(_tenant(names.BUILD), KubernetesSettings()))

    assert "allow-registry-egress" not in tenant
    (rule,) = build["allow-registry-egress"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


def test_quota_and_limit_range_defaults_are_present() -> None:
    objects = render_tenant(_tenant(), KubernetesSettings())
    (quota,) = _by_kind(objects, "ResourceQuota")
    (limits,) = _by_kind(objects, "LimitRange")

    assert {
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
        "pods",
    } <= set(quota["spec"]["hard"])
    (container,) = limits["spec"]["limits"]
    assert container["type"] == "Container"
    assert container["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    assert container["default"] == {"cpu": "500m", "memory": "512Mi"}


@pytest.mark.parametrize(
    ("role", "level"), [(names.TENANT, "restricted"), (names.BUILD, "baseline")]
)
def test_pod_security_labels(role: str, level: str) -> None:
    labels = render_tenant(_tenant(role), KubernetesSettings())[0]["metadata"]["labels"]

    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == level
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest"


def test_namespace_carries_owner_run_and_expiry_labels() -> None:
    settings = KubernetesSettings(tenant=TenantSettings(owner="team-shop"))
    labels = render_tenant(_tenant(), settings)[0]["metadata"]["labels"]

    assert labels[names.MANAGED_BY] == "cd-harness"
    assert labels[names.RUN_ID] == RUN_ID
    assert labels[names.OWNER] == "team-shop"
    assert labels[names.EXPIRES] == "1700007200"


@pytest.mark.parametrize(
    ("pipeline", "run_id"),
    [
        ("ci", RUN_ID),
        ("Nightly_Contracts.v2", RUN_ID),
        ("x" * 80, RUN_ID),
        ("--weird--", "RUN.ID_with spaces/and:colons"),
        ("", "a"),
    ],
)
def test_namespace_names_are_dns_labels_with_room_for_the_build_suffix(
    pipeline: str, run_id: str
) -> None:
    tenant = names.namespace_name(pipeline, run_id)
    build = names.build_namespace_name(tenant)

    assert DNS_LABEL.match(tenant), tenant
    assert DNS_LABEL.match(build), build


def test_namespace_name_keeps_the_run_id_whole() -> None:
    assert names.namespace_name("x" * 80, RUN_ID).endswith("-" + RUN_ID)
    assert names.namespace_name("ci", RUN_ID) == f"cdh-ci-{RUN_ID}"
