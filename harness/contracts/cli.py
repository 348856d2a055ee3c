"""The contract commands of ``cdh``: contracts, can-i-deploy, schedule export.

:func:`register` adds them to cdh's sub-command parser; each sets a
``handler(args) -> int``. Exit codes: 0 fine, 1 the answer is "no" (not
deployable, breaking changes, lint findings), 2 bad input (a
:class:`~harness.errors.HarnessError`, printed by cdh as one line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.contracts import pactfile
from harness.contracts.diff import diff, render
from harness.contracts.lint import lint
from harness.contracts.local import LocalContractStore
from harness.contracts.pactfile import PactFile
from harness.contracts.store import ContractStore, git_branch, git_version, open_store
from harness.errors import ContractError, HarnessError

DEFAULT_DIR = Path("contracts")
_LS_HEAD = ("CONSUMER", "PROVIDER", "HTTP", "MESSAGES", "SPEC", "LAST VERIFIED", "FROM")


def register(commands: Any) -> None:
    """Add the contract sub-commands to cdh's ``add_subparsers()`` object."""
    contracts = commands.add_parser("contracts", help="list, diff, lint, publish pacts")
    actions = contracts.add_subparsers(dest="contracts_command", required=True)

    ls = actions.add_parser("ls", help="consumers, providers, interactions, verdicts")
    ls.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    _broker_option(ls)
    ls.set_defaults(handler=_ls)

    changes = actions.add_parser(
        "diff", help="what a pact change does to its provider (exit 1 if breaking)"
    )
    changes.add_argument("old", type=Path, help="the older pact (or the only one)")
    changes.add_argument(
        "new",
        type=Path,
        nargs="?",
        help="the newer pact; without it OLD is compared with its last "
        "published version in its folder's store",
    )
    changes.set_defaults(handler=_diff)

    smells = actions.add_parser("lint", help="flag contract smells (exit 1 if any)")
    smells.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_DIR])
    smells.set_defaults(handler=_lint)

    publish = actions.add_parser("publish", help="publish consumer pacts to the store")
    publish.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    publish.add_argument("--consumer", help="only this consumer's pacts")
    publish.add_argument("--consumer-version", help="default: the git commit")
    publish.add_argument("--branch", help="default: the git branch")
    _broker_option(publish)
    publish.set_defaults(handler=_publish)

    deployed = actions.add_parser(
        "record-deployment", help="record a service version as running in an env"
    )
    _service_version_env(deployed)
    deployed.set_defaults(handler=_record_deployment)

    can = commands.add_parser(
        "can-i-deploy", help="may SERVICE at VERSION go to ENV? (exit 0 yes, 1 no)"
    )
    _service_version_env(can)
    can.set_defaults(handler=_can_i_deploy)

    schedule = commands.add_parser("schedule", help="export the pipeline's schedules")
    schedule_actions = schedule.add_subparsers(dest="schedule_command", required=True)
    export = schedule_actions.add_parser("export", help="write schedules as jobs")
    export.add_argument("pipeline", type=Path, help="pipeline file")
    export.add_argument(
        "--format", required=True, choices=("k8s-cronjob", "github", "gitlab")
    )
    export.add_argument("--image", default="cd-harness:latest", help="k8s image")
    export.add_argument("--namespace", help="k8s namespace")
    export.add_argument("--out", type=Path, help="file to write (default stdout)")
    export.set_defaults(handler=_schedule_export)


def _broker_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker",
        action="store_true",
        help="use the Pact Broker at PACT_BROKER_BASE_URL instead of the folder",
    )


def _service_version_env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service")
    parser.add_argument("--version", help="default: the git commit")
    parser.add_argument("--to", dest="environment", required=True, help="environment")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="local store")
    _broker_option(parser)


def _store(args: argparse.Namespace, folder: Path) -> ContractStore:
    # Without --broker the folder is used even when PACT_BROKER_BASE_URL is
    # set, so a local answer is never silently a broker's.
    if args.broker:
        return open_store(folder, use_broker=True)
    return LocalContractStore(folder)


def _ls(args: argparse.Namespace) -> int:
    if not args.broker and args.dir.is_file():
        return _ls_file(args.dir)
    if not args.broker and not args.dir.exists():
        raise ContractError(
            f"{args.dir}: no such folder or pact file — give the contracts "
            "folder (default ./contracts) or a pact file"
        )
    store = _store(args, args.dir)
    try:
        rows = [
            (
                s.consumer,
                s.provider,
                str(s.interactions),
                str(s.messages),
                s.spec,
                s.last_verification,
                s.source,
            )
            for s in store.summaries()
        ]
    finally:
        store.close()
    _out(_table(_LS_HEAD, rows) if rows else f"no pacts in {args.dir}")
    return 0


def _ls_file(path: Path) -> int:
    pact = pactfile.load(path)
    row = (
        pact.consumer,
        pact.provider,
        str(len(pact.http_interactions)),
        str(len(pact.message_interactions)),
        pactfile.spec_label(pact),
        "-",
        str(path),
    )
    _out(_table(_LS_HEAD, [row]))
    return 0


def _diff(args: argparse.Namespace) -> int:
    new_path = args.new or args.old
    new = pactfile.load(new_path)
    if args.new is not None:
        old = pactfile.load(args.old)
    else:
        found = LocalContractStore(new_path.parent).latest_published(
            new.consumer, new.provider
        )
        if found is None:
            raise ContractError(
                f"{new_path}: {new.consumer} → {new.provider} was never published "
                "in this folder — give two pact files, or publish first"
            )
        old = found
    if (old.consumer, old.provider) != (new.consumer, new.provider):
        raise ContractError(
            f"{args.old} and {new_path} are pacts of different pairs "
            f"({old.consumer} → {old.provider}, {new.consumer} → {new.provider})"
        )
    changes = diff(old, new)
    _out(render(old, new, changes))
    return 1 if any(c.breaking for c in changes) else 0


def _lint(args: argparse.Namespace) -> int:
    pacts: list[PactFile] = []
    for path in args.paths:
        if not path.is_dir():
            pacts.append(pactfile.load(path))
            continue
        found = list(pactfile.discover(path))
        if not found:
            raise ContractError(
                f"no pact files in {path} — run the consumer tests that write "
                "them, or give the right folder"
            )
        pacts.extend(found)
    findings = [finding for pact in pacts for finding in lint(pact)]
    for finding in findings:
        _out(str(finding))
    _out(f"{len(pacts)} pact(s), {len(findings)} finding(s)")
    return 1 if findings else 0


def _publish(args: argparse.Namespace) -> int:
    pacts = [
        p
        for p in pactfile.discover(args.dir)
        if args.consumer is None or p.consumer == args.consumer
    ]
    if not pacts:
        raise ContractError(f"{args.dir}: no pacts to publish")
    version = args.consumer_version or git_version()
    branch = args.branch or git_branch()
    store = _store(args, args.dir)
    try:
        for consumer in sorted({p.consumer for p in pacts}):
            mine = [p for p in pacts if p.consumer == consumer]
            for line in store.publish(mine, version, branch):
                _out(line)
    finally:
        store.close()
    return 0


def _record_deployment(args: argparse.Namespace) -> int:
    version = args.version or git_version()
    store = _store(args, args.dir)
    try:
        store.record_deployment(args.service, version, args.environment)
    finally:
        store.close()
    _out(f"recorded {args.service}@{version} in {args.environment}")
    return 0


def _can_i_deploy(args: argparse.Namespace) -> int:
    version = args.version or git_version()
    store = _store(args, args.dir)
    try:
        decision = store.can_i_deploy(args.service, version, args.environment)
    finally:
        store.close()
    _out(decision.render())
    return 0 if decision.deployable else 1


def _schedule_export(args: argparse.Namespace) -> int:
    from harness.config import load_pipeline
    from harness.contracts.schedule import export

    pipeline = load_pipeline(args.pipeline)
    text = export(pipeline, args.format, image=args.image, namespace=args.namespace)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise HarnessError(f"{args.out}: cannot write the export ({error})") from None
    _out(f"wrote {len(pipeline.schedules)} schedule(s) to {args.out}")
    return 0


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *rows]
    )


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
