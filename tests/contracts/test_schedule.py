"""`cdh schedule export`: load settings, broker credentials, pod hardening."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.config import load_pipeline
from harness.contracts.schedule import export
from harness.model import Pipeline, Schedule

ROOT = Path(__file__).resolve().parents[2]


def scheduled(*stages: str) -> Pipeline:
    pipeline = load_pipeline(ROOT / "pipelines" / "ci.yaml")
    schedule = Schedule("nightly", "0 3 * * *", stages)
    return dataclasses.replace(pipeline, schedules={"nightly": schedule})


def cronjob_pod(pipeline: Pipeline) -> dict[str, Any]:
    [job] = list(yaml.safe_load_all(export(pipeline, "k8s-cronjob")))
    pod: dict[str, Any] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def test_a_scheduled_load_stage_keeps_its_load_settings_and_gate() -> None:
    [container] = cronjob_pod(scheduled("load"))["containers"]

    command = shlex.split(container["command"][2])

    assert command[:7] == ["python", "-m", "pytest", "-m", "load", "suites/load", "-p"]
    for option in (
        "--load-users=20",
        "--load-spawn-rate=20",
        "--load-duration=15s",
        "--load-target=storefront",
        "--load-pipeline=ci",
        "--load-threshold=p95 < 300ms",
        "--load-threshold=error_rate < 1%",
        "--load-threshold=rps > 50",
        "--load-results=.cdh/runs/schedule-nightly/load/results.json",
    ):
        assert option in command


def test_a_scheduled_contract_stage_gets_no_load_options() -> None:
    [container] = cronjob_pod(scheduled("contract"))["containers"]

    assert "--load" not in container["command"][2]


def test_the_cronjob_maps_token_and_basic_auth_from_the_broker_secret() -> None:
    [container] = cronjob_pod(scheduled("contract"))["containers"]

    from_secret = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in container["env"]
        if "valueFrom" in e
    }
    assert from_secret == {
        name: name
        for name in (
            "PACT_BROKER_BASE_URL",
            "PACT_BROKER_TOKEN",
            "PACT_BROKER_USERNAME",
            "PACT_BROKER_PASSWORD",
        )
    }


@pytest.mark.parametrize(
    ("stages", "name"), [(("load",), "load"), (("contract", "api"), "contract-api")]
)
def test_the_cronjob_container_is_named_after_its_stages(
    stages: tuple[str, ...], name: str
) -> None:
    [container] = cronjob_pod(scheduled(*stages))["containers"]

    assert container["name"] == name


def test_the_cronjob_pod_meets_the_restricted_pod_security_standard() -> None:
    pod = cronjob_pod(scheduled("contract"))

    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


@pytest.mark.parametrize("format", ["github", "gitlab"])
def test_ci_schedules_install_the_repository_like_the_ci_exports(format: str) -> None:
    text = export(scheduled("contract"), format)

    assert "pip install -e ." in text
    assert "[dev]" not in text
    if format == "github":
        [job] = yaml.safe_load(text)["jobs"].values()
        assert set(job["env"]) >= {"PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD"}
