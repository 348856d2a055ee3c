"""Names and labels every tenant object carries.

A run's namespaces are named from the pipeline and the run id, and carry
the harness's labels: ``cdh gc`` finds expired tenants by those labels and
never touches a namespace without them.
"""

from __future__ import annotations

import re

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "cd-harness"
PREFIX = "cd-harness"
RUN_ID = f"{PREFIX}/run-id"
PIPELINE = f"{PREFIX}/pipeline"
OWNER = f"{PREFIX}/owner"
EXPIRES = f"{PREFIX}/expires"
ROLE = f"{PREFIX}/role"
SERVICE = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"

TENANT = "tenant"
BUILD = "build"

MAX_NAME = 63
_BUILD_SUFFIX = "-build"
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def dns_label(text: str) -> str:
    """``text`` squeezed into an RFC 1123 label: lowercase, digits and '-'."""
    label = _NOT_LABEL.sub("-", text.lower()).strip("-")
    return re.sub("-{2,}", "-", label)


def namespace_name(pipeline: str, run_id: str) -> str:
    """The tenant namespace of one run: ``cdh-<pipeline>-<run id>``.

    The run id is kept whole (it is what makes the name unique); the
    pipeline part is shortened so that the build namespace, which adds
    ``-build``, still fits in 63 characters.
    """
    run = dns_label(run_id)[:40].strip("-") or "run"
    room = MAX_NAME - len(_BUILD_SUFFIX) - len("cdh--") - len(run)
    name = dns_label(pipeline)[:room].strip("-")
    return f"cdh-{name}-{run}" if name else f"cdh-{run}"


def build_namespace_name(tenant_namespace: str) -> str:
    """The namespace where the tenant's images are built (baseline PSA)."""
    return tenant_namespace + _BUILD_SUFFIX


def label_value(text: str) -> str:
    """``text`` made a valid label value (at most 63 characters)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:MAX_NAME].strip("-_.")
    return value if _LABEL_VALUE.match(value) else ""


def namespace_labels(
    *, pipeline: str, run_id: str, owner: str, expires: int, role: str
) -> dict[str, str]:
    """The labels of a tenant or build namespace.

    Args:
        expires: Unix time after which ``cdh gc`` may delete the namespace.
        role: :data:`TENANT` or :data:`BUILD`.
    """
    return {
        MANAGED_BY: MANAGER,
        PIPELINE: label_value(pipeline),
        RUN_ID: label_value(run_id),
        OWNER: label_value(owner),
        EXPIRES: str(expires),
        ROLE: role,
    }


def workload_labels(service: str, run_id: str) -> dict[str, str]:
    """Labels on a service's Deployment, Service and pods."""
    return {SERVICE: service, INSTANCE: label_value(run_id), MANAGED_BY: MANAGER}


def selector(service: str) -> dict[str, str]:
    """The part of :func:`workload_labels` a Deployment selects on."""
    return {SERVICE: service}
