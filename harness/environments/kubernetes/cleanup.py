"""Removing a run's namespaces, and ``cdh gc`` for runs that left theirs.

Deleting a namespace returns at once; the namespace then stays
``Terminating`` until every object in it is gone, which a stuck finalizer
can prevent for ever. :func:`delete_namespace` waits for it with a limit
and says which finalizers or conditions hold it up, instead of hanging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.environments.kubernetes import names
from harness.errors import EnvironmentError_

log = logging.getLogger(__name__)

NOT_FOUND = 404


@dataclass
class Clock:
    """Time for the waiting loops; tests pass one that does not sleep."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time


@dataclass
class GcReport:
    """What ``cdh gc`` did."""

    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a client ``ApiException``, else None."""
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def delete_namespace(
    core: Any, name: str, *, timeout: float, clock: Clock | None = None
) -> None:
    """Delete ``name`` and wait until the API no longer has it.

    Raises:
        EnvironmentError_: it is still there after ``timeout`` seconds,
            naming what holds it and how to remove it by hand.
    """
    clock = clock or Clock()
    try:
        core.delete_namespace(name, propagation_policy="Background")
    except Exception as error:
        if status_of(error) == NOT_FOUND:
            return
        raise
    log.info("deleting namespace %s", name)

    deadline = clock.now() + timeout
    namespace = None
    while clock.now() < deadline:
        try:
            namespace = core.read_namespace(name)
        except Exception as error:
            if status_of(error) == NOT_FOUND:
                log.info("namespace %s deleted", name)
                return
            raise
        clock.sleep(1.0)
    raise EnvironmentError_(
        f"namespace {name} is still terminating after {timeout:g}s"
        f"{_holdup(namespace)} — check it with `kubectl describe namespace {name}` "
        "and remove what blocks it"
    )


def _holdup(namespace: Any) -> str:
    if namespace is None:
        return ""
    details = []
    finalizers = getattr(namespace.spec, "finalizers", None) if namespace.spec else None
    if finalizers:
        details.append(f"finalizers {', '.join(finalizers)}")
    for condition in (namespace.status.conditions or ()) if namespace.status else ():
        if condition.status == "True":
            details.append(f"{condition.type}: {condition.message}")
    return f" ({'; '.join(details)})" if details else ""


def is_harness_namespace(namespace: Any) -> bool:
    labels = (namespace.metadata.labels or {}) if namespace.metadata else {}
    return bool(labels.get(names.MANAGED_BY) == names.MANAGER)


def gc(
    core: Any,
    *,
    include_unexpired: bool = False,
    timeout: float = 120.0,
    clock: Clock | None = None,
) -> GcReport:
    """Delete expired tenant namespaces; never one without the harness label.

    A namespace that cannot be deleted is recorded in ``failed`` with the
    reason, and the others are still tried.

    Args:
        core: a ``CoreV1Api``.
        include_unexpired: also delete namespaces whose expiry is ahead.
        timeout: seconds to wait for each deletion.

    Raises:
        EnvironmentError_: the namespaces could not be listed.
    """
    clock = clock or Clock()
    report = GcReport()
    selector = f"{names.MANAGED_BY}={names.MANAGER}"
    try:
        listed = core.list_namespace(label_selector=selector)
    except Exception as error:
        raise EnvironmentError_(
            f"cannot list namespaces ({_api_problem(error)}) — cdh gc needs "
            "list and delete on namespaces; check the context's credentials"
        ) from None
    now = clock.wall()
    for namespace in listed.items or ():
        name = namespace.metadata.name
        # The selector is the API's; check again rather than trust it.
        if not is_harness_namespace(namespace):
            report.skipped.append(name)
            continue
        expires = (namespace.metadata.labels or {}).get(names.EXPIRES, "")
        expired = expires.isdigit() and int(expires) <= now
        if not (expired or include_unexpired):
            report.kept.append(name)
            continue
        try:
            delete_namespace(core, name, timeout=timeout, clock=clock)
        except EnvironmentError_ as error:
            report.failed[name] = str(error)
            continue
        # An ApiException or a dropped connection: say so, try the others.
        except Exception as error:
            report.failed[name] = (
                f"cannot delete namespace {name} ({_api_problem(error)}) — check "
                "that the context may delete namespaces"
            )
            continue
        report.deleted.append(name)
    return report


def _api_problem(error: BaseException) -> str:
    status = status_of(error)
    if status is not None:
        return f"the API answered {status} {getattr(error, 'reason', '')}".rstrip()
    return " ".join(str(error).split())[:200] or type(error).__name__
