"""The one interface every backend implements, and what a deploy hands on.

Nothing above :mod:`harness.environments` knows which backend runs: the
runner calls :meth:`Environment.deploy` and :meth:`Environment.teardown`,
and tests read the :class:`Deployment` (usually through the
``environment`` fixture or ``.cdh/environment.json``).
"""

from __future__ import annotations

import abc
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.errors import EnvironmentError_
from harness.model import System


@dataclass(frozen=True)
class Deployment:
    """Where the deployed services answer.

    Attributes:
        backend: the environment's name, e.g. ``local``.
        tenant: the isolated tenant this deploy lives in (a namespace, or a
            run id for the local backend).
        services: service name → base URL reachable from the test runner.
        access: how the runner reaches the services (``loopback``,
            ``port-forward``, ``cluster-dns``).
        run_dir: the run folder where service logs are kept.
    """

    backend: str
    tenant: str
    services: dict[str, str]
    access: str = "loopback"
    run_dir: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def url(self, service: str) -> str:
        """The base URL of ``service``, without a trailing slash."""
        try:
            return self.services[service].rstrip("/")
        except KeyError:
            known = ", ".join(sorted(self.services)) or "none"
            raise EnvironmentError_(
                f"service {service!r} is not deployed (deployed: {known}) — "
                "check the name against system.yaml"
            ) from None

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    def forget(self, path: Path) -> None:
        """Remove ``path`` if it still describes this deployment.

        Called at teardown, so that no environment file points at services
        that are gone (the run folder keeps its own copy).
        """
        try:
            if Deployment.read(path).tenant == self.tenant:
                path.unlink()
        except (EnvironmentError_, OSError):
            pass

    @classmethod
    def read(cls, path: Path) -> Deployment:
        """Load an ``environment.json``; a broken file is one clear error."""
        try:
            data = json.loads(path.read_text())
            deployment = cls(
                backend=str(data["backend"]),
                tenant=str(data["tenant"]),
                services={str(k): str(v) for k, v in data["services"].items()},
                access=str(data.get("access", "loopback")),
                run_dir=str(data.get("run_dir", "")),
                details=dict(data.get("details", {})),
            )
        except FileNotFoundError:
            raise EnvironmentError_(
                f"{path}: no such environment file — keep one up with `cdh up` or "
                "drop --environment to start a local environment"
            ) from None
        except IsADirectoryError:
            raise EnvironmentError_(
                f"{path}: is a folder — name the environment.json file in it"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise EnvironmentError_(
                f"{path}: not an environment file ({error}) — expected the JSON "
                "written by a deploy stage, with backend, tenant and services"
            ) from None
        for name, url in deployment.services.items():
            if not url.startswith(("http://", "https://")):
                raise EnvironmentError_(
                    f"{path}: service {name} has URL {url!r} — expected an "
                    "http:// or https:// base URL"
                )
        return deployment


class Environment(abc.ABC):
    """A place where the system under test runs for the length of a run.

    Use it as a context manager so that teardown happens on every exit
    path::

        with LocalEnvironment(run_dir) as env:
            deployment = env.deploy(system)
    """

    name: str = "abstract"

    @abc.abstractmethod
    def deploy(self, system: System) -> Deployment:
        """Start every service and wait until each is healthy."""

    @abc.abstractmethod
    def collect_logs(self) -> None:
        """Copy the services' logs into the run folder (idempotent)."""

    @abc.abstractmethod
    def teardown(self) -> None:
        """Stop everything deploy started; safe to call twice."""

    def mark_failed(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """The run failed after deploy; a backend may keep state for debugging."""

    def cancel(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Ask a deploy running in another thread to give up soon (Ctrl-C)."""

    def __enter__(self) -> Environment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.collect_logs()
        finally:
            self.teardown()
