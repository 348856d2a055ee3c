"""Distributed load in the tenant namespace, from the load layer's side.

No cluster here: the master's wrapper runs for real on this machine (a
master and a worker on loopback, as the pods would run them), its output
stands in for the master pod's log, and the gate reads the results back.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.environments.base import Deployment
from harness.environments.kubernetes.loadgen import (
    FILES_DIR,
    LOCUSTFILE,
    RESULTS_DIR,
    WRAPPER,
    LoadSpec,
)
from harness.environments.kubernetes.loadrun import LoadResult, read_results
from harness.load.distributed import InCluster, in_cluster, place_results, spec_for
from harness.load.outcome import judge_run
from harness.load.runner import LocustOutcome, LocustRun, run_locust
from harness.thresholds import AGGREGATE
from tests.load.conftest import LOCUSTFILE as SOURCE
from tests.load.test_load_outcome import options

NAMESPACE = "cdh-ci-20250101-120000-abcd"
CLUSTER_URL = f"http://storefront.{NAMESPACE}.svc.cluster.local:8080"
DETAILS = {
    "namespace": NAMESPACE,
    "context": "kind-cdh",
    "cluster_urls": {"storefront": CLUSTER_URL},
    "load": {"image": "docker.io/locustio/locust:2.47.0"},
}


def make_run(tmp_path: Path, host: str, **extra: Any) -> LocustRun:
    locustfile = tmp_path / "suite" / "locustfile.py"
    locustfile.parent.mkdir(exist_ok=True)
    locustfile.write_text(SOURCE)
    settings: dict[str, Any] = {"users": 4, "spawn_rate": 4, "duration": 2}
    return LocustRun(
        locustfile=locustfile,
        host=host,
        csv_prefix=tmp_path / "load" / "run",
        html=tmp_path / "load" / "run.html",
        **(settings | {"workers": 1} | extra),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_master_pod_here(spec: LoadSpec, host: str, folder: Path) -> str:
    """Run the master's command and one worker's as the pods would; the log."""
    files, results = folder / "files", folder / "results"
    files.mkdir()
    for name, text in spec.files.items():
        (files / name).write_text(text)
    port = str(_free_port())
    args = [
        a.replace(FILES_DIR, str(files)).replace(RESULTS_DIR, str(results))
        for a in spec.master_args
    ]
    args[args.index("--master-bind-port") + 1] = port
    args[args.index("--host") + 1] = host
    args += ["--master-bind-host", "127.0.0.1"]
    environ = {"CDH_LOAD_OUT": str(results), "PATH": "/usr/bin:/bin"}
    master = subprocess.Popen(
        [sys.executable, str(files / WRAPPER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environ,
        text=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(files / LOCUSTFILE), "--worker"]
        + ["--master-host", "127.0.0.1", "--master-port", port],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environ,
    )
    try:
        log, _ = master.communicate(timeout=90)
    finally:
        for process in (master, worker):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
    return log


def test_master_results_travel_through_its_log_to_the_gate(
    tmp_path: Path, endpoint: str
) -> None:
    run = make_run(tmp_path, endpoint)
    spec = spec_for(run, CLUSTER_URL, "live01")
    pod_log = run_master_pod_here(spec, endpoint, tmp_path)

    code, files, rest = read_results(pod_log)
    assert code == 0, pod_log[-2000:]
    run.csv_prefix.parent.mkdir(parents=True)
    placed = place_results(run, files)
    figures = judge_run(
        run,
        LocustOutcome(code, 2.0, "", rest),
        options("p95 < 2000ms", "error_rate < 1%", workers=1),
    )

    assert run.json_file in placed and run.html in placed
    assert Path(f"{run.csv_prefix}_stats.csv").exists()
    assert figures.stats_source == "json"
    assert figures.stats[AGGREGATE].requests > 0
    assert figures.invalid == [] and figures.status == "passed"
    assert "1 workers connected" in rest and "cdh-load-results" not in rest


def test_in_cluster_run_targets_the_cluster_url_and_places_results_for_the_gate(
    tmp_path: Path,
) -> None:
    data = Path(__file__).parent / "data"
    seen: list[tuple[dict[str, Any], LoadSpec]] = []

    def cluster(details: dict[str, Any], spec: LoadSpec) -> LoadResult:
        seen.append((details, spec))
        return LoadResult(
            0,
            "Waiting for workers to be ready, 2 of 2 connected\n",
            {
                "out_final.json": (data / "shop_final.json").read_bytes(),
                "out_stats.csv": (data / "shop_stats.csv").read_bytes(),
                "report.html": b"<html></html>",
            },
            ["worker 0 log\n", "worker 1 log\n"],
        )

    run = make_run(
        tmp_path,
        "http://127.0.0.1:9",
        workers=2,
        remote=InCluster(DETAILS, "storefront", runner=cluster),
    )

    outcome = run_locust(run)

    details, spec = seen[0]
    assert details["namespace"] == NAMESPACE and spec.workers == 2
    assert spec.master_args[spec.master_args.index("--host") + 1] == CLUSTER_URL
    assert outcome.returncode == 0 and "worker 1 log" in outcome.stderr
    assert run.html.read_bytes() == b"<html></html>"
    assert run.worker_log(1).read_text() == "worker 1 log\n"
    figures = judge_run(run, outcome, options("p95 < 5s", workers=2))
    assert figures.stats_source == "json" and figures.stats[AGGREGATE].requests > 0


def test_in_cluster_is_used_only_for_a_kubernetes_deployment_with_load_details() -> (
    None
):
    kubernetes = Deployment("kubernetes", NAMESPACE, {}, details=DETAILS)
    older = Deployment("kubernetes", NAMESPACE, {}, details={"namespace": NAMESPACE})
    local = Deployment("local", "run", {"storefront": "http://127.0.0.1:1"})

    assert isinstance(in_cluster(kubernetes, "storefront"), InCluster)
    assert in_cluster(older, "storefront") is None
    assert in_cluster(local, "storefront") is None


def test_unknown_load_target_in_the_cluster_is_named(tmp_path: Path) -> None:
    from harness.errors import LoadError

    run = make_run(tmp_path, "http://127.0.0.1:9", remote=InCluster(DETAILS, "cart"))

    with pytest.raises(
        LoadError, match="load target 'cart' is not deployed.*storefront"
    ):
        run_locust(run)
