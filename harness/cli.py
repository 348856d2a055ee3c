"""The ``cdh`` command.

Exit codes: 0 every gate passed, 1 a gate failed, 2 bad input (one line on
stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from harness.config import load_pipeline, load_system
from harness.console import make_progress, write_line
from harness.contracts.cli import register as register_contracts
from harness.environments import check_environment, create_environment
from harness.errors import HarnessError
from harness.model import Pipeline
from harness.pipeline.export import FORMATS, default_output, export
from harness.pipeline.graph import render_plan
from harness.pipeline.runner import Runner, new_run_id
from harness.pipeline.signals import signals_held, signals_interrupt
from harness.pipeline.single import single_stage
from harness.report.html import write_run_reports
from harness.report.results import publish_step_summary, stage_table, write_reports
from harness.run import Run

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cdh`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except HarnessError as error:
        _err(f"cdh: error: {error}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err("cdh: interrupted")
        return EXIT_INTERRUPTED
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdh",
        description="Run a repository's test pyramid as a gated delivery pipeline.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a pipeline's stages, fail early")
    run.add_argument(
        "pipeline", type=Path, help="pipeline file, e.g. pipelines/ci.yaml"
    )
    _run_options(run)
    run.set_defaults(handler=_run)

    stage = commands.add_parser(
        "stage",
        help="run one stage alone, as a CI job does (deploys first if it needs to)",
    )
    stage.add_argument("stage", help="the stage's name")
    stage.add_argument("pipeline", type=Path)
    _run_options(stage)
    stage.set_defaults(handler=_stage)

    up = commands.add_parser(
        "up",
        help="deploy the system and keep it up until Ctrl-C, for pytest "
        "--environment=.cdh/environment.json",
    )
    up.add_argument(
        "system", type=Path, nargs="?", default=Path("system.yaml"), help="system file"
    )
    up.add_argument("--env", dest="environment", default="local")
    up.add_argument("--context", help="kubeconfig context (kubernetes environment)")
    up.set_defaults(handler=_up)

    exporter = commands.add_parser(
        "export", help="write the pipeline as a CI definition, one job per stage"
    )
    exporter.add_argument("target", choices=FORMATS)
    exporter.add_argument("pipeline", type=Path)
    exporter.add_argument(
        "--out",
        type=Path,
        help="output file (- for stdout; default: where the CI looks)",
    )
    exporter.set_defaults(handler=_export)

    render = commands.add_parser(
        "render",
        help="write the manifests a run would apply (PIPELINE) or the "
        "log-shipping DaemonSet (logging)",
    )
    render.add_argument("target", help="a pipeline file, or the word 'logging'")
    render.add_argument("--env", dest="environment", default="kubernetes")
    render.add_argument("--out", type=Path, required=True, help="output folder")
    render.add_argument(
        "--system", type=Path, help="system file with the logs: bucket (logging)"
    )
    render.set_defaults(handler=_render)

    gc = commands.add_parser("gc", help="delete expired tenant namespaces")
    gc.add_argument("--context", help="kubeconfig context")
    gc.add_argument(
        "--all", action="store_true", help="also delete namespaces not yet expired"
    )
    gc.set_defaults(handler=_gc)

    plan = commands.add_parser("plan", help="print the stage graph without running")
    plan.add_argument("pipeline", type=Path)
    plan.add_argument("--env", dest="environment")
    plan.set_defaults(handler=_plan)
    register_contracts(commands)
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", dest="environment", help="override the environment")
    parser.add_argument("--context", help="kubeconfig context (kubernetes environment)")
    parser.add_argument(
        "--keep-on-failure",
        action="store_true",
        help="keep a failed run's namespaces for debugging (kubernetes)",
    )


def _plan(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline, environment=args.environment)
    _out(render_plan(pipeline))
    return 0


def _render(args: argparse.Namespace) -> int:
    from harness.environments import kubernetes

    target = Path(args.target)
    if args.target == "logging":
        objects = kubernetes.render_logging_objects(args.system)
    elif args.system is not None:
        raise HarnessError(
            "cdh render: --system is for `cdh render logging`; a pipeline names "
            "its own system file — drop --system"
        )
    elif args.environment != "kubernetes":
        raise HarnessError(
            f"cdh render: only --env kubernetes has manifests, not {args.environment!r}"
        )
    elif not target.exists() and target.suffix not in (".yaml", ".yml"):
        raise HarnessError(
            f"cdh render: {args.target!r} is neither a pipeline file nor the word "
            "'logging' — pass a pipeline file such as pipelines/ci.yaml, or logging"
        )
    else:
        pipeline = load_pipeline(target, environment="kubernetes")
        try:
            objects = kubernetes.render_run(
                pipeline, kubernetes.RENDER_RUN_ID, expires=False
            )
        except OSError as error:
            raise HarnessError(
                f"cdh render: cannot read {error.filename} ({error.strerror}) — "
                "make the service folders readable"
            ) from None
    earlier = set(kubernetes.previous_manifests(args.out))
    paths = kubernetes.write_manifests(objects, args.out)
    removed = len(earlier - set(paths))
    _out(
        f"wrote {len(paths)} manifests to {args.out}"
        + (f"; removed {removed} left from an earlier render" if removed else "")
    )
    return 0


def _gc(args: argparse.Namespace) -> int:
    from harness.environments.kubernetes import gc_namespaces

    report = gc_namespaces(args.context, include_unexpired=args.all)
    for name in report.deleted:
        _out(f"deleted {name}")
    for problem in report.failed.values():
        _err(f"cdh: error: {problem}")
    _out(
        f"{len(report.deleted)} deleted, {len(report.kept)} not yet expired"
        + (f", {len(report.failed)} failed" if report.failed else "")
    )
    return EXIT_BAD_INPUT if report.failed else 0


def _run(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline, environment=args.environment)
    return _execute(pipeline, args)


def _stage(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline, environment=args.environment)
    return _execute(single_stage(pipeline, args.stage, source=str(args.pipeline)), args)


def _execute(pipeline: Pipeline, args: argparse.Namespace) -> int:
    check_environment(pipeline.environment, context=args.context)
    run_id = new_run_id(pipeline)
    run = Run(pipeline, run_id, pipeline.root / ".cdh" / "runs" / run_id)
    run.context = args.context
    run.keep_on_failure = args.keep_on_failure
    _make_folder(run.run_dir)
    _out(f"run {run_id}: {pipeline.name} on the {pipeline.environment} environment")

    progress = make_progress(list(pipeline.stages), sys.stdout)
    try:
        with signals_interrupt():
            Runner(pipeline, run, progress).execute()
    finally:
        with signals_held():
            run.finished = run.finished or time.time()
            write_reports(run)
            write_run_reports(run)
            publish_step_summary(run, os.environ)
            progress.close()
    _out("")
    _out(stage_table(run))
    _out(f"\nreports: {run.run_dir} (report.html, summary.md, junit.xml)")
    return run.exit_code


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"cannot create the run folder {path} ({error.strerror}) — make "
            f"{path.parents[1]} a writable folder"
        ) from None


def _up(args: argparse.Namespace) -> int:
    system = load_system(args.system)
    check_environment(args.environment, context=args.context)
    tenant = f"up-{os.getpid()}"
    run_dir = system.root / ".cdh" / "up" / tenant
    _make_folder(run_dir)
    environment = create_environment(
        args.environment, run_dir, tenant=tenant, pipeline="up", context=args.context
    )
    shared = system.root / ".cdh" / "environment.json"
    deployment = None
    try:
        with signals_interrupt():
            deployment = environment.deploy(system)
            deployment.write(run_dir / "environment.json")
            deployment.write(shared)
            for name, url in deployment.services.items():
                _out(f"{name:<14} {url}")
            _out(f"logs in {run_dir / 'logs'}; test against it with")
            _out(f"  pytest -m api --environment={shared}")
            _out("Ctrl-C stops everything")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        with signals_held():
            environment.collect_logs()
            environment.teardown()
            if deployment is not None:
                deployment.forget(shared)
    _out("environment removed")
    return 0


def _export(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline)
    text = export(pipeline, args.target, args.pipeline.as_posix())
    if args.out == Path("-"):
        sys.stdout.write(text)
        return 0
    out = args.out or pipeline.root / default_output(args.target, pipeline)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    _out(f"wrote {out}")
    return 0


def _out(line: str) -> None:
    write_line(sys.stdout, line)


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
