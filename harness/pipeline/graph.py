"""The stage graph: levels for `cdh plan` and readiness for the runner."""

from __future__ import annotations

from harness.model import Pipeline


def levels(pipeline: Pipeline) -> list[list[str]]:
    """Stages grouped so that each group needs only earlier groups.

    Stages within one group can run in parallel. The config loader has
    already refused cycles and unknown names.
    """
    placed: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in placed:
            needs = pipeline.stages[name].needs
            placed[name] = 1 + max((depth(n) for n in needs), default=-1)
        return placed[name]

    for name in pipeline.stages:
        depth(name)
    grouped: list[list[str]] = [[] for _ in range(max(placed.values(), default=-1) + 1)]
    for name in pipeline.stages:
        grouped[placed[name]].append(name)
    return grouped


def render_plan(pipeline: Pipeline) -> str:
    """The graph as text: one line per stage, in the order it can start."""
    lines = [f"pipeline {pipeline.name} ({pipeline.environment} environment)"]
    for index, group in enumerate(levels(pipeline), start=1):
        for name in group:
            stage = pipeline.stages[name]
            kind = (
                f"layer {stage.layer.value}"
                if stage.layer
                else f"action {stage.action}"
            )
            needs = f" after {', '.join(stage.needs)}" if stage.needs else ""
            gate = _describe_gate(pipeline, name)
            lines.append(f"  {index}. {name:<14} {kind:<18}{needs}{gate}")
    lines.append(f"  {len(levels(pipeline)) + 1}. teardown       always")
    return "\n".join(lines)


def _describe_gate(pipeline: Pipeline, name: str) -> str:
    stage = pipeline.stages[name]
    if stage.thresholds:
        return "  gate: " + ", ".join(t.text for t in stage.thresholds)
    if stage.layer is None:
        return ""
    gate = stage.gate
    parts = [f"failures <= {gate.max_failures}" if gate.max_failures else "all pass"]
    if gate.coverage is not None:
        parts.append(f"coverage >= {gate.coverage:.0%}")
    if gate.reruns:
        parts.append(f"{gate.reruns} reruns")
    return "  gate: " + ", ".join(parts)
