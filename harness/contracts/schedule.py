"""``cdh schedule export``: a pipeline's ``schedules:`` as CI or cluster jobs.

A schedule re-runs some test stages without a code change; for the contract
stage that means verifying each provider against the consumers' latest
pacts; a load stage keeps its users, duration and gate as the pipeline
runner passes them. Three renderings:

- ``k8s-cronjob``: one Kubernetes CronJob per schedule, running the stages'
  pytest sessions in an image of the repository, in a container named after
  the stages and a pod that meets the ``restricted`` Pod Security Standard;
  broker settings (URL, and a token or username and password) come from the
  optional Secret ``cdh-pact-broker``;
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
from harness.load.options import stage_arguments
from harness.model import Pipeline, Schedule, Stage
from harness.pipeline.export import INSTALL

FORMATS = ("k8s-cronjob", "github", "gitlab")
BROKER_SECRET = "cdh-pact-broker"
BROKER_ENV = (
    "PACT_BROKER_BASE_URL",
    "PACT_BROKER_TOKEN",
    "PACT_BROKER_USERNAME",
    "PACT_BROKER_PASSWORD",
)
# Where a scheduled session keeps load results (the runner's run folder).
RUN_DIR = Path(".cdh/runs")


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
                *_load_options(pipeline, schedule, stage),
                *stage.pytest_args,
            ]
        )
    return commands


def _load_options(pipeline: Pipeline, schedule: Schedule, stage: Stage) -> list[str]:
    """The load settings the pipeline runner passes a load stage's session."""
    if stage.load is None:
        return []
    load = stage.load
    run_dir = RUN_DIR / f"schedule-{_label(schedule.name)}"
    options = [
        f"--load-users={load.users}",
        f"--load-spawn-rate={load.spawn_rate:g}",
        f"--load-duration={load.duration:g}s",
        f"--load-target={load.target}",
        f"--load-results={run_dir / 'load' / 'results.json'}",
        f"--load-dir={run_dir / 'load'}",
    ]
    return options + stage_arguments(
        stage.thresholds,
        run_dir,
        pipeline=pipeline.name,
        min_samples=load.min_samples,
        target_rps=load.target_rps,
        workers=load.workers,
        shape=load.shape,
    )


def _script(commands: list[list[str]]) -> str:
    return " && ".join(shlex.join(command) for command in commands)


def _label(text: str) -> str:
    """``text`` as a DNS label (a container's name, at most 63 characters)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:63].rstrip("-") or "stage"


def _dns_name(text: str) -> str:
    return f"cdh-{_label(text)}"[:52].rstrip("-")


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
        "name": _label("-".join(schedule.stages)),
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
                            "securityContext": {
                                "runAsNonRoot": True,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
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
            {"run": INSTALL},
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
                INSTALL,
                *(shlex.join(command) for command in commands[name]),
            ],
        }
    return "\n".join(head) + "\n" + yaml.safe_dump(jobs, sort_keys=False)
