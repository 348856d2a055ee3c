"""CI definitions exported from a pipeline, and `cdh stage` that they call."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.config import load_pipeline
from harness.pipeline.export import export, job_graph
from harness.pipeline.single import single_stage
from tests.pipeline.conftest import Repo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline():  # type: ignore[no-untyped-def]
    return load_pipeline(ROOT / "pipelines" / "ci.yaml")


def test_deploy_is_folded_into_the_jobs_after_it(pipeline) -> None:  # type: ignore[no-untyped-def]
    assert job_graph(pipeline) == {
        "unit": [],
        "integration": ["unit"],
        "contract": ["unit"],
        "api": ["integration", "contract"],
        "e2e": ["api"],
        "load": ["e2e"],
    }


def test_github_workflow_has_one_job_per_stage_with_needs_and_artifacts(
    pipeline,  # type: ignore[no-untyped-def]
) -> None:
    (workflow,) = yaml.safe_load_all(export(pipeline, "github", "pipelines/ci.yaml"))

    jobs = workflow["jobs"]
    assert list(jobs) == ["unit", "integration", "contract", "api", "e2e", "load"]
    assert jobs["api"]["needs"] == ["integration", "contract"]
    assert "needs" not in jobs["unit"]
    runs = [step.get("run") for step in jobs["e2e"]["steps"]]
    assert "cdh stage e2e pipelines/ci.yaml" in runs
    upload = jobs["e2e"]["steps"][-1]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == ".cdh/runs/"
    assert upload["with"]["include-hidden-files"] is True


def test_gitlab_jobs_sit_in_levels_and_keep_junit_reports(pipeline) -> None:  # type: ignore[no-untyped-def]
    (document,) = yaml.safe_load_all(export(pipeline, "gitlab", "pipelines/ci.yaml"))

    assert document["stages"] == [f"level-{i}" for i in range(1, 6)]
    assert document["contract"]["stage"] == "level-2"
    assert document["api"]["stage"] == "level-3"
    assert document["api"]["needs"] == ["integration", "contract"]
    assert document["load"]["artifacts"]["when"] == "always"
    assert document["load"]["artifacts"]["reports"]["junit"] == (
        ".cdh/runs/*/junit/load.xml"
    )


def test_tekton_pipeline_runs_tasks_after_their_needs(pipeline) -> None:  # type: ignore[no-untyped-def]
    task, tekton = yaml.safe_load_all(export(pipeline, "tekton", "pipelines/ci.yaml"))

    assert task["kind"] == "Task"
    assert (
        "cdh stage $(params.stage) pipelines/ci.yaml"
        in task["spec"]["steps"][0]["script"]
    )
    tasks = {t["name"]: t for t in tekton["spec"]["tasks"]}
    assert tasks["api"]["runAfter"] == ["integration", "contract"]
    assert "runAfter" not in tasks["unit"]


def test_single_stage_gets_a_private_deploy_when_it_tests_services(pipeline) -> None:  # type: ignore[no-untyped-def]
    alone = single_stage(pipeline, "api")

    assert list(alone.stages) == ["deploy", "api"]
    assert alone.stages["deploy"].needs == ()
    assert alone.stages["api"].needs == ("deploy",)
    assert list(single_stage(pipeline, "unit").stages) == ["unit"]


def test_cdh_stage_runs_one_stage_and_tears_down(repo: Repo) -> None:
    repo.write("suites/unit/test_bad.py", "def test_bad():\n    assert 0\n")
    repo.pipeline(
        "unit: {layer: unit}\ndeploy: {action: deploy, needs: [unit]}\n"
        "api: {layer: api, needs: [deploy]}\n"
    )

    result = repo.cdh("stage", "api", "pipelines/ci.yaml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert [s["name"] for s in repo.results()["stages"]] == [
        "deploy",
        "api",
        "teardown",
    ]


def test_cdh_stage_with_an_unknown_name_is_bad_input(repo: Repo) -> None:
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("stage", "unti", "pipelines/ci.yaml")

    assert result.returncode == 2
    assert result.stderr == (
        "cdh: error: pipelines/ci.yaml: no stage 'unti' — use one of: unit\n"
    )


def test_cdh_export_writes_where_the_ci_looks(repo: Repo) -> None:
    repo.pipeline("unit: {layer: unit}\n")

    result = repo.cdh("export", "github", "pipelines/ci.yaml")

    assert result.returncode == 0, result.stderr
    written = repo.root / ".github" / "workflows" / "cdh-ci.yml"
    assert yaml.safe_load(written.read_text())["jobs"]["unit"]["runs-on"]
