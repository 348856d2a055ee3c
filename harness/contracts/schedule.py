"""``cdh schedule export``: a pipeline's ``schedules:`` as CI or cluster jobs.

A schedule re-runs some test stages without a code change; for the contract
stage that means verifying each provider against the consumers' latest
pacts. Three renderings:

- ``k8s-cronjob``: one Kubernetes CronJob per schedule, running the stages'
  pytest sessions in an image of the repository; broker settings come from
  the optional Secret ``cdh-pact-broker``;
- ``github``: a GitHub Actions workflow with one job per schedule;
- ``gitlab``: GitLab CI jobs that run when a pipeline schedule carrying
  ``CDH_SCHEDULE=<name>`` fires (GitLab keeps the cron itself in the
  project's schedule settings; the export says which cron to enter).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.model import Pipeline, Schedule

FORMATS = ("k8s-cronjob", "github", "gitlab")
BROKER_SECRET = "cdh-pact-broker"
BROKER_ENV = ("PACT_BROKER_BASE_URL", "PACT_BROKER_TOKEN")


def export(
    pipeline: Pipeline,
    format: str,
    *,
    image: str = "cd-harness:latest",
    namespace: str | None = None,
) -> str:
    """Render every schedule of ``pipeline`` in ``format`` as YAML text.

    Raises:
        HarnessError: the pipeline has no schedules, the format is unknown,
            or a schedule names a stage that is not a test stage.
    """
    if not pipeline.schedules:
        raise HarnessError(
            f"{pipeline.source}: no schedules: to export — add e.g. "
            "`schedules: {nightly-contracts: {cron: '0 2 * * *', stages: [contract]}}`"
        )
    if format not in FORMATS:
        raise HarnessError(
            f"unknown schedule format {format!r} — use one of {', '.join(FORMATS)}"
        )

    commands = {
        name: _commands(pipeline, schedule)
        for name, schedule in pipeline.schedules.items()
    }
    if format == "k8s-cronjob":
        documents = [
            _cronjob(schedule, commands[name], image, namespace)
            for name, schedule in pipeline.schedules.items()
        ]
        return yaml.safe_dump_all(documents, sort_keys=False)
    if format == "github":
        return yaml.safe_dump(_github(pipeline, commands), sort_keys=False)
    return _gitlab(pipeline, commands)


def stage_commands(pipeline: Pipeline, schedule: Schedule) -> list[list[str]]:
    """The pytest sessions a schedule runs, one per stage, in stage order."""
    return _commands(pipeline, schedule)


def _commands(pipeline: Pipeline, schedule: Schedule) -> list[list[str]]:
    commands = []
    for name in schedule.stages:
        stage = pipeline.stages[name]
        if stage.layer is None:
            raise HarnessError(
                f"{pipeline.source}: schedule {schedule.name!r} runs stage "
                f"{name!r}, which is the {stage.action} action — schedule test "
                "stages only"
            )
        paths = list(stage.paths) or [f"suites/{stage.layer.value}"]
        commands.append(
            [
                "python",
                "-m",
                "pytest",
                "-m",
                stage.layer.value,
                *paths,
                "-p",
                "no:cacheprovider",
                *stage.pytest_args,
            ]
        )
    return commands


def _script(commands: list[list[str]]) -> str:
    return " && ".join(shlex.join(command) for command in commands)


def _dns_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return f"cdh-{name}"[:52].rstrip("-")


def _cronjob(
    schedule: Schedule,
    commands: list[list[str]],
    image: str,
    namespace: str | None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": _dns_name(schedule.name),
        "labels": {
            "app.kubernetes.io/managed-by": "cd-harness",
            "cd-harness/schedule": _dns_name(schedule.name),
        },
    }
    if namespace:
        metadata["namespace"] = namespace
    container = {
        "name": "contracts",
        "image": image,
        "command": ["sh", "-c", _script(commands)],
        "env": [
            {
                "name": name,
                "valueFrom": {
                    "secretKeyRef": {
                        "name": BROKER_SECRET,
                        "key": name,
                        "optional": True,
                    }
                },
            }
            for name in BROKER_ENV
        ]
        + [{"name": "CDH_SCHEDULE", "value": schedule.name}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata,
        "spec": {
            "schedule": schedule.cron,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "metadata": {"labels": dict(metadata["labels"])},
                        "spec": {
                            "restartPolicy": "Never",
                            "automountServiceAccountToken": False,
                            "containers": [container],
                        },
                    },
                }
            },
        },
    }


def _github(pipeline: Pipeline, commands: dict[str, list[list[str]]]) -> Any:
    jobs = {}
    for name, schedule in pipeline.schedules.items():
        steps: list[dict[str, Any]] = [
            {"uses": "actions/checkout@v4"},
            {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
            {"run": "python -m pip install -e '.[dev]'"},
        ]
        steps += [{"run": shlex.join(command)} for command in commands[name]]
        jobs[_dns_name(name)] = {
            "if": f"github.event.schedule == '{schedule.cron}' || "
            "github.event_name == 'workflow_dispatch'",
            "runs-on": "ubuntu-latest",
            "env": {env: "${{ secrets." + env + " }}" for env in BROKER_ENV}
            | {"CDH_SCHEDULE": name},
            "steps": steps,
        }
    crons = sorted({s.cron for s in pipeline.schedules.values()})
    return {
        "name": f"cdh schedules ({Path(pipeline.source).name})",
        # PyYAML writes the key `on` quoted, which GitHub reads the same.
        "on": {
            "schedule": [{"cron": cron} for cron in crons],
            "workflow_dispatch": None,
        },
        "jobs": jobs,
    }


def _gitlab(pipeline: Pipeline, commands: dict[str, list[list[str]]]) -> str:
    head = [
        "# Register each schedule under CI/CD > Schedules with the variable",
        "# CDH_SCHEDULE set to its name:",
    ]
    jobs: dict[str, Any] = {}
    for name, schedule in pipeline.schedules.items():
        head.append(f"#   {name}: cron {schedule.cron!r}")
        jobs[_dns_name(name)] = {
            "image": "python:3.11",
            "rules": [
                {
                    "if": '$CI_PIPELINE_SOURCE == "schedule" && '
                    f'$CDH_SCHEDULE == "{name}"'
                }
            ],
            "script": [
                "python -m pip install -e '.[dev]'",
                *(shlex.join(command) for command in commands[name]),
            ],
        }
    return "\n".join(head) + "\n" + yaml.safe_dump(jobs, sort_keys=False)
