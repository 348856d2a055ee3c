"""The contract commands of cdh, through the parser they register."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from harness.config import load_pipeline
from harness.contracts import pactfile
from harness.contracts.cli import register
from harness.contracts.local import LocalContractStore
from harness.contracts.schedule import export
from harness.errors import HarnessError
from harness.model import Schedule

from .helpers import write_pact
from .providers import product_interaction, reviews_interaction

ROOT = Path(__file__).resolve().parents[2]
REAL_PACTS = Path(
    os.environ.get("CDH_REAL_PACTS", ROOT.parent / "shared" / "real-pacts")
)


def cdh(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run a contract command the way cdh does: exit code and output."""
    parser = argparse.ArgumentParser(prog="cdh")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except HarnessError as error:
        return 2, f"cdh: error: {error}"
    return code, capsys.readouterr().out


def test_ls_lists_every_real_pact_with_its_parties_and_spec(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not REAL_PACTS.is_dir():
        pytest.skip(f"{REAL_PACTS} is not here")
    folder = tmp_path / "contracts"
    shutil.copytree(REAL_PACTS, folder, ignore=shutil.ignore_patterns("*.md"))

    code, out = cdh(capsys, "contracts", "ls", str(folder))

    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == [
        "CONSUMER",
        "PROVIDER",
        "HTTP",
        "MESSAGES",
        "SPEC",
        "LAST",
        "VERIFIED",
        "FROM",
    ]
    assert len(lines) == 1 + len(list(REAL_PACTS.glob("*.json")))
    combined = next(line for line in lines if "v4-combined-pact.json" in line)
    assert combined.split()[:6] == [
        "test_consumer",
        "test_provider",
        "1",
        "1",
        "4.0",
        "never",
    ]


def test_every_real_pact_publishes_into_the_local_store(tmp_path: Path) -> None:
    if not REAL_PACTS.is_dir():
        pytest.skip(f"{REAL_PACTS} is not here")
    store = LocalContractStore(tmp_path / "store", include_working_copies=False)

    for index, path in enumerate(sorted(REAL_PACTS.glob("*.json"))):
        store.publish([pactfile.load(path)], f"v{index}", "main")

    summaries = store.summaries()
    assert len(summaries) == len(list(REAL_PACTS.glob("*.json")))
    assert {s.consumer for s in summaries} >= {"ConsumerAClient", "UserServiceClient"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"consumer": ', "not valid JSON"),
        (
            '{"provider": {"name": "p"}, "interactions": [], '
            '"metadata": {"pactSpecification": {"version": "3.0.0"}}}',
            "missing consumer.name",
        ),
        (
            '{"consumer": {"name": "c"}, "provider": {"name": "p"}, '
            '"interactions": [], '
            '"metadata": {"pactSpecification": {"version": "9.0"}}}',
            "unknown Pact specification version '9.0'",
        ),
    ],
)
@pytest.mark.parametrize("command", ["ls", "lint"])
def test_a_malformed_pact_is_one_error_naming_the_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
    content: str,
    message: str,
) -> None:
    (tmp_path / "broken.json").write_text(content)

    code, out = cdh(capsys, "contracts", command, str(tmp_path))

    assert code == 2
    assert len(out.splitlines()) == 1
    assert str(tmp_path / "broken.json") in out
    assert message in out


def test_diff_exits_1_on_breaking_changes_and_0_on_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = write_pact(tmp_path / "old", "orders", "catalog", [product_interaction()])
    new = write_pact(
        tmp_path / "new",
        "orders",
        "catalog",
        [product_interaction(), reviews_interaction()],
    )

    code, out = cdh(capsys, "contracts", "diff", str(old), str(new))
    assert code == 1
    assert "BREAKING (provider)" in out
    assert out.splitlines()[-1] == "1 change(s), 1 breaking"

    assert cdh(capsys, "contracts", "diff", str(old), str(old))[0] == 0


def test_diff_with_one_file_compares_with_its_last_published_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contracts = tmp_path / "contracts"
    pact = write_pact(contracts, "orders", "catalog", [product_interaction()])
    assert (
        cdh(
            capsys,
            "contracts",
            "publish",
            str(contracts),
            "--consumer-version",
            "o1",
            "--branch",
            "main",
        )[0]
        == 0
    )
    document = json.loads(pact.read_text())
    del document["interactions"][0]["response"]["body"]["stock"]
    pact.write_text(json.dumps(document))

    code, out = cdh(capsys, "contracts", "diff", str(pact))

    assert code == 1
    assert "removed response field $.stock" in out


def test_can_i_deploy_exits_0_or_1_and_prints_the_deciding_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contracts = tmp_path / "contracts"
    write_pact(contracts, "orders", "catalog", [product_interaction()])
    cdh(
        capsys,
        "contracts",
        "publish",
        str(contracts),
        "--consumer-version",
        "o1",
        "--branch",
        "main",
    )
    cdh(
        capsys,
        "contracts",
        "record-deployment",
        "orders",
        "--version",
        "o1",
        "--to",
        "production",
        "--dir",
        str(contracts),
    )

    code, out = cdh(
        capsys,
        "can-i-deploy",
        "catalog",
        "--version",
        "c1",
        "--to",
        "production",
        "--dir",
        str(contracts),
    )

    assert code == 1
    assert out.splitlines()[0] == "can catalog@c1 go to production? no"
    assert out.splitlines()[3].split()[:5] == ["orders", "o1", "catalog", "c1", "not"]


def test_schedule_export_writes_a_cronjob_running_the_contract_stage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "cronjobs.yaml"

    code, out = cdh(
        capsys,
        "schedule",
        "export",
        str(ROOT / "pipelines" / "ci.yaml"),
        "--format",
        "k8s-cronjob",
        "--image",
        "registry.test/shop:1",
        "--out",
        str(out_file),
    )

    assert (code, out) == (0, f"wrote 1 schedule(s) to {out_file}\n")
    [job] = list(yaml.safe_load_all(out_file.read_text()))
    assert (job["kind"], job["metadata"]["name"]) == (
        "CronJob",
        "cdh-nightly-contracts",
    )
    assert job["spec"]["schedule"] == "0 2 * * *"
    [container] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.test/shop:1"
    assert container["command"] == [
        "sh",
        "-c",
        "python -m pytest -m contract suites/contract -p no:cacheprovider",
    ]


@pytest.mark.parametrize("format", ["github", "gitlab"])
def test_schedule_export_for_ci_names_the_cron_and_the_stage(format: str) -> None:
    pipeline = load_pipeline(ROOT / "pipelines" / "ci.yaml")

    text = export(pipeline, format)

    document = yaml.safe_load(text)
    assert "0 2 * * *" in text
    assert "python -m pytest -m contract suites/contract" in text
    if format == "github":
        assert document["on"]["schedule"] == [{"cron": "0 2 * * *"}]
    else:
        assert document["cdh-nightly-contracts"]["rules"][0]["if"].endswith(
            '$CDH_SCHEDULE == "nightly-contracts"'
        )


def test_scheduling_the_deploy_action_is_an_error() -> None:
    pipeline = load_pipeline(ROOT / "pipelines" / "ci.yaml")
    broken = dataclasses.replace(
        pipeline, schedules={"nightly": Schedule("nightly", "0 2 * * *", ("deploy",))}
    )

    with pytest.raises(HarnessError, match="schedule test stages only"):
        export(broken, "k8s-cronjob")
