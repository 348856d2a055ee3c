"""A pipeline as a CI definition: one job per stage, needs mirrored.

Each job installs the repository and runs ``cdh stage NAME PIPELINE``, which
runs that stage alone (a stage that tests deployed services deploys its own
environment, since a job's processes end with the job). The deploy stage
therefore needs no job of its own: jobs after it wait for what it waited
for. Every job keeps ``.cdh/runs/`` as an artifact, also when it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.model import Pipeline
from harness.pipeline.graph import levels

FORMATS = ("github", "gitlab", "tekton")
INSTALL = "pip install -e ."
ARTIFACTS = ".cdh/runs/"


def job_graph(pipeline: Pipeline) -> dict[str, list[str]]:
    """Job name → the jobs it needs, with action stages folded away."""
    jobs: dict[str, list[str]] = {}

    def needs(name: str) -> list[str]:
        found: list[str] = []
        for need in pipeline.stages[name].needs:
            if pipeline.stages[need].action is None:
                found.append(need)
            else:
                found.extend(n for n in needs(need) if n not in found)
        return found

    for name, stage in pipeline.stages.items():
        if stage.action is None:
            jobs[name] = needs(name)
    return jobs


def export(pipeline: Pipeline, target: str, pipeline_file: str) -> str:
    """The CI definition for ``target`` (github, gitlab or tekton) as YAML."""
    command = f"cdh stage {{name}} {pipeline_file}"
    render = {"github": _github, "gitlab": _gitlab, "tekton": _tekton}[target]
    documents = render(pipeline, command)
    return yaml.safe_dump_all(documents, sort_keys=False, width=88)


def _github(pipeline: Pipeline, command: str) -> list[dict[str, Any]]:
    jobs: dict[str, Any] = {}
    for name, needs in job_graph(pipeline).items():
        job: dict[str, Any] = {"runs-on": "ubuntu-latest"}
        if needs:
            job["needs"] = needs
        job["steps"] = [
            {"uses": "actions/checkout@v4"},
            {"uses": "actions/setup-python@v5", "with": {"python-version": "3.12"}},
            {"run": INSTALL},
            {"run": command.format(name=name)},
            {
                "if": "always()",
                "uses": "actions/upload-artifact@v4",
                # upload-artifact skips dot-folders unless told otherwise.
                "with": {
                    "name": f"cdh-{name}",
                    "path": ARTIFACTS,
                    "include-hidden-files": True,
                },
            },
        ]
        jobs[name] = job
    return [
        {
            "name": f"cdh {pipeline.name}",
            "on": {"push": {"branches": ["main"]}, "pull_request": {}},
            "jobs": jobs,
        }
    ]


def _gitlab(pipeline: Pipeline, command: str) -> list[dict[str, Any]]:
    graph = job_graph(pipeline)
    order = [[n for n in group if n in graph] for group in levels(pipeline)]
    order = [group for group in order if group]
    document: dict[str, Any] = {
        "stages": [f"level-{i}" for i in range(1, len(order) + 1)],
        "default": {"image": "python:3.12-slim", "before_script": [INSTALL]},
    }
    for index, group in enumerate(order, start=1):
        for name in group:
            document[name] = {
                "stage": f"level-{index}",
                "needs": graph[name],
                "script": [command.format(name=name)],
                "artifacts": {
                    "when": "always",
                    "paths": [ARTIFACTS],
                    "reports": {"junit": f"{ARTIFACTS}*/junit/{name}.xml"},
                },
            }
    return [document]


def _tekton(pipeline: Pipeline, command: str) -> list[dict[str, Any]]:
    task = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "cdh-stage"},
        "spec": {
            "params": [{"name": "stage", "type": "string"}],
            "workspaces": [{"name": "source"}],
            "steps": [
                {
                    "name": "stage",
                    "image": "python:3.12-slim",
                    "workingDir": "$(workspaces.source.path)",
                    "script": f"#!/bin/sh\nset -e\n{INSTALL}\n"
                    + command.format(name="$(params.stage)")
                    + "\n",
                }
            ],
        },
    }
    tasks = []
    for name, needs in job_graph(pipeline).items():
        entry: dict[str, Any] = {
            "name": name,
            "taskRef": {"name": "cdh-stage"},
            "params": [{"name": "stage", "value": name}],
            "workspaces": [{"name": "source", "workspace": "source"}],
        }
        if needs:
            entry["runAfter"] = needs
        tasks.append(entry)
    pipeline_object = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Pipeline",
        "metadata": {"name": f"cdh-{pipeline.name}"},
        "spec": {"workspaces": [{"name": "source"}], "tasks": tasks},
    }
    return [task, pipeline_object]


def default_output(target: str, pipeline: Pipeline) -> Path:
    """Where each CI system looks for its definition."""
    return {
        "github": Path(".github/workflows") / f"cdh-{pipeline.name}.yml",
        "gitlab": Path(".gitlab-ci.yml"),
        "tekton": Path("tekton") / f"cdh-{pipeline.name}.yaml",
    }[target]
