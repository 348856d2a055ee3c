"""Load workers next to the services, when the backend can host them.

With the ``kubernetes`` environment a load stage's ``workers: N`` runs the
locust master and its N workers in the run's tenant namespace (see
:mod:`harness.environments.kubernetes.loadgen` for the objects). The
master's result files come back through its log and land at the same
paths a local run writes, so the gate reads the master's aggregated
statistics the same way either way.

Example (what the load item does)::

    deployment = session_deployment(config)
    run = LocustRun(..., workers=4, remote=in_cluster(deployment, "storefront"))
    outcome = run_locust(run)

Limitations: ``abort_on_fail`` thresholds are judged at the end of an
in-cluster run, not while it runs; Ctrl-C deletes the load pods without
results; only the locustfile itself travels (modules it imports from its
folder do not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.environments.base import Deployment
from harness.errors import LoadError
from harness.load.runner import (
    STOP_TIMEOUT,
    WORKER_WAIT,
    LocustOutcome,
    LocustRun,
    Watch,
)

if TYPE_CHECKING:
    from harness.environments.kubernetes.loadgen import LoadSpec

log = logging.getLogger(__name__)

HOSTS = ("kubernetes",)
"""Backends whose deployments can host load workers."""

Runner = Callable[[Mapping[str, Any], Any], Any]


def in_cluster(deployment: Deployment, target: str) -> InCluster | None:
    """The in-cluster runner for ``deployment``, or None to run locally."""
    if deployment.backend not in HOSTS or "load" not in deployment.details:
        return None
    return InCluster(deployment.details, target)


class InCluster:
    """Runs a :class:`LocustRun`'s master and workers in the tenant namespace.

    Args:
        details: the Kubernetes deployment's details.
        target: the service under load; its in-cluster URL is the host.
        runner: runs a spec and returns its result (tests pass a stand-in).
    """

    def __init__(
        self,
        details: Mapping[str, Any],
        target: str,
        runner: Runner | None = None,
    ) -> None:
        self.details = details
        self.target = target
        self._runner = runner

    @property
    def host(self) -> str:
        urls = self.details.get("cluster_urls", {})
        if self.target not in urls:
            known = ", ".join(sorted(urls)) or "none"
            raise LoadError(
                f"load target {self.target!r} is not deployed in the cluster "
                f"(deployed: {known}) — check --load-target against system.yaml"
            )
        return str(urls[self.target])

    def run(self, run: LocustRun, watch: Watch | None) -> LocustOutcome:
        from harness.environments.kubernetes.loadgen import run_name
        from harness.environments.kubernetes.loadrun import run_in_cluster

        if watch is not None:
            log.warning(
                "abort_on_fail is judged after the run when the workers run in "
                "the cluster"
            )
        name = run_name(str(run.csv_prefix), str(time.time()))
        spec = spec_for(run, self.host, name)
        runner = self._runner or run_in_cluster
        started = time.monotonic()
        try:
            result = runner(self.details, spec)
        except KeyboardInterrupt:
            return LocustOutcome(130, time.monotonic() - started, "", "", "", True)
        place_results(run, result.files)
        run.stdout_log.write_text("")
        run.stderr_log.write_text(result.log)
        for index, text in enumerate(result.worker_logs):
            run.worker_log(index).write_text(text)
        return LocustOutcome(
            returncode=result.exit_code,
            seconds=time.monotonic() - started,
            stdout="",
            stderr="\n".join([result.log, *result.worker_logs]),
        )


def spec_for(run: LocustRun, host: str, name: str) -> LoadSpec:
    """The in-cluster spec of ``run``, aimed at ``host`` (a cluster URL)."""
    from harness.environments.kubernetes.loadgen import load_spec

    return load_spec(
        name=name,
        locustfile=run.locustfile,
        host=host,
        users=run.users,
        spawn_rate=run.spawn_rate,
        run_time=run.run_time,
        workers=run.workers,
        timeout=run.timeout,
        worker_wait=WORKER_WAIT,
        stop_timeout=STOP_TIMEOUT,
        shape=run.shape_file.read_text() if run.shape_file else None,
        env=run.env,
    )


def place_results(run: LocustRun, files: Mapping[str, bytes]) -> list[Path]:
    """Write the master's result files where a local run writes them."""
    from harness.environments.kubernetes.loadgen import REPORT, RESULTS_PREFIX

    written = []
    for name, data in sorted(files.items()):
        if name == REPORT:
            path = run.html
        elif name.startswith(RESULTS_PREFIX + "_"):
            path = Path(f"{run.csv_prefix}{name[len(RESULTS_PREFIX) :]}")
        else:
            continue
        path.write_bytes(data)
        written.append(path)
    return written
