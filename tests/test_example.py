"""Acceptance on a temporary copy of the example system."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.conftest import alive
from tests.pipeline.test_runner import port_is_free

ROOT = Path(__file__).resolve().parents[1]
COPIED = (
    "services",
    "suites",
    "contracts",
    "pipelines",
    "system.yaml",
    "pyproject.toml",
)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, tmp_path / name)
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    return tmp_path


def cdh(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def results(root: Path) -> dict[str, Any]:
    (run,) = (root / ".cdh" / "runs").iterdir()
    data: dict[str, Any] = json.loads((run / "results.json").read_text())
    return data


def statuses(root: Path) -> dict[str, tuple[str, str]]:
    return {s["name"]: (s["status"], s["reason"]) for s in results(root)["stages"]}


def rename_word(paths: list[Path], old: str, new: str) -> None:
    for path in paths:
        path.write_text(re.sub(rf"\b{old}\b", new, path.read_text()))


def test_breaking_provider_change_fails_at_the_contract_gate(example: Path) -> None:
    # The catalog team renames a field everywhere in its code and its own
    # unit tests: only the consumers' contracts can notice.
    catalog_code = list((example / "services" / "catalog").rglob("*.py"))
    catalog_tests = list((example / "suites" / "unit").glob("test_catalog_*.py"))
    rename_word(catalog_code + catalog_tests, "price", "unit_price")

    result = cdh(example, "run", "pipelines/ci.yaml")

    assert result.returncode == 1, result.stdout + result.stderr
    stages = statuses(example)
    assert stages["unit"][0] == "passed"
    assert stages["integration"][0] == "passed"
    assert stages["contract"][0] == "failed"
    assert stages["deploy"] == ("skipped", "because contract did not pass")
    for name in ("api", "e2e", "load"):
        assert stages[name][0] == "skipped"
    assert stages["teardown"][0] == "passed"


def test_load_gate_out_of_reach_fails_the_load_stage(example: Path) -> None:
    (example / "pipelines" / "reach.yaml").write_text(
        "system: ../system.yaml\n"
        "stages:\n"
        "  deploy: {action: deploy}\n"
        "  load:\n"
        "    layer: load\n"
        "    needs: [deploy]\n"
        "    locustfile: suites/load/locustfile.py\n"
        "    target: storefront\n"
        "    users: 5\n"
        "    duration: 3s\n"
        '    gate: ["p95 < 0.001ms"]\n'
    )

    result = cdh(example, "run", "pipelines/reach.yaml")

    assert result.returncode == 1, result.stdout + result.stderr
    status, reason = statuses(example)["load"]
    assert status == "failed"
    assert "p95 < 0.001ms" in reason
    verdicts = results(example)["stages"][1]["figures"]["verdicts"]
    assert verdicts[0]["passed"] is False
    (run_dir,) = (example / ".cdh" / "runs").iterdir()
    environment = json.loads((run_dir / "environment.json").read_text())
    assert len(environment["details"]["pids"]) == 3
    for pid in environment["details"]["pids"].values():
        assert not alive(pid)
    for url in environment["services"].values():
        assert port_is_free(url)


def test_malformed_pipeline_is_one_line_and_exit_2(example: Path) -> None:
    (example / "pipelines" / "bad.yaml").write_text(
        "system: ../system.yaml\nstages:\n  unit: {layer: unit, needs: [nope]}\n"
    )

    result = cdh(example, "run", "pipelines/bad.yaml")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("cdh: error: pipelines/bad.yaml:3: ")
    assert "Traceback" not in result.stderr
    assert not (example / ".cdh" / "runs").exists()


@pytest.mark.parametrize("layer", ["unit", "integration", "contract", "api", "e2e"])
def test_dash_m_runs_only_that_layer_from_the_root(example: Path, layer: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", layer, "-p", "no:cacheprovider"],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-2000:]
    pyramid = result.stdout.split("test pyramid")[1].splitlines()[2:]
    rows = [line.split()[0] for line in pyramid if line and not line.startswith("=")]
    assert rows == [layer]


def test_plan_prints_the_stage_graph_without_running(example: Path) -> None:
    result = cdh(example, "plan", "pipelines/ci.yaml")

    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "pipeline ci (local environment)"
    assert lines[1].split() == [
        "1.",
        "unit",
        "layer",
        "unit",
        "gate:",
        "all",
        "pass,",
        "coverage",
        ">=",
        "60%",
    ]
    assert lines[6].split()[-3:] == ["pass,", "2", "reruns"]
    assert lines[3].split()[:2] == ["2.", "contract"]
    assert lines[-1].split() == ["7.", "teardown", "always"]
    assert not (example / ".cdh").exists()


def test_integration_stub_answers_what_the_pact_says(example: Path) -> None:
    # The orders integration tests reach the catalog only through the stub
    # served from contracts/orders-catalog.json: change the pact, and what
    # the service under test sees changes with it.
    pact = example / "contracts" / "orders-catalog.json"
    pact.write_text(pact.read_text().replace('"price": 12.5', '"price": 99.5'))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "integration",
            "-p",
            "no:cacheprovider",
            "suites/integration/test_orders_with_catalog_stub.py",
        ],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1
    assert "'unit_price': 99.5" in result.stdout
