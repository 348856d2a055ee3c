"""One stage on its own, as a CI job runs it (`cdh stage NAME PIPELINE`)."""

from __future__ import annotations

import dataclasses

from harness.errors import ConfigError
from harness.model import Pipeline, Stage

DEPLOY = "deploy"


def single_stage(pipeline: Pipeline, name: str, *, source: str = "") -> Pipeline:
    """A pipeline of just ``name``, with a deploy before it if it needs one.

    Its ``needs`` are taken as already passed (an earlier CI job ran them).
    A stage that tests deployed services gets a private deploy, because the
    environment of an earlier job does not outlive that job.

    Args:
        pipeline: the loaded pipeline.
        name: the stage to run.
        source: the pipeline file as the user wrote it, for the error.

    Raises:
        ConfigError: no stage called ``name``.
    """
    stage = pipeline.stages.get(name)
    if stage is None:
        known = ", ".join(pipeline.stages)
        raise ConfigError(
            source or str(pipeline.source),
            None,
            f"no stage {name!r}",
            f"use one of: {known}",
        )

    alone = dataclasses.replace(stage, needs=())
    stages: dict[str, Stage] = {name: alone}
    if stage.layer is not None and stage.layer.needs_environment:
        deploy = next(
            (s for s in pipeline.stages.values() if s.action == DEPLOY),
            Stage(DEPLOY, action=DEPLOY),
        )
        stages = {
            deploy.name: dataclasses.replace(deploy, needs=()),
            name: dataclasses.replace(stage, needs=(deploy.name,)),
        }
    return dataclasses.replace(pipeline, stages=stages, schedules={})
