"""``cdh render``: stable, replaceable output and one-line errors on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import ROOT
from harness.cli import main
from harness.environments.kubernetes import (
    RenderError,
    names,
    render_logging_objects,
    write_manifests,
)

VERSIONS = ("1.30.0", "1.37.0")
PIPELINE = str(ROOT / "pipelines" / "ci.yaml")


def _render(*args: str) -> int:
    return main(["render", *args])


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cdh: error: ")
    return lines[0]


def _files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_out_naming_an_existing_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "manifests.yaml"
    existing.write_text("keep me\n")

    code = _render(PIPELINE, "--env", "kubernetes", "--out", str(existing))

    assert code == 2
    line = _one_error_line(capsys)
    assert f"--out {existing} is a file, not a folder" in line
    assert "pass a folder" in line
    assert existing.read_text() == "keep me\n"


def test_write_manifests_raises_a_harness_error_for_a_file_as_out_dir(
    tmp_path: Path,
) -> None:
    existing = tmp_path / "out"
    existing.write_text("")

    with pytest.raises(RenderError, match="is a file, not a folder"):
        write_manifests(render_logging_objects(), existing)


def test_rendering_twice_gives_the_same_files_with_stable_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    assert _render(PIPELINE, "--out", str(out)) == 0
    first = _files(out)
    assert _render(PIPELINE, "--out", str(out)) == 0

    assert _files(out) == first
    namespaces = {n.split("-", 1)[1] for n in first if "-namespace-" in n}
    assert namespaces == {
        "cluster-namespace-cdh-ci-render.yaml",
        "cluster-namespace-cdh-ci-render-build.yaml",
    }
    assert "removed" not in capsys.readouterr().out


def test_rendered_namespaces_carry_no_expiry_so_gc_keeps_them(tmp_path: Path) -> None:
    out = tmp_path / "out"

    _render(PIPELINE, "--out", str(out))

    loaded = [yaml.safe_load(p.read_text()) for p in sorted(out.iterdir())]
    namespaces = [obj for obj in loaded if obj["kind"] == "Namespace"]
    assert len(namespaces) == 2
    for namespace in namespaces:
        labels = namespace["metadata"]["labels"]
        assert labels[names.MANAGED_BY] == names.MANAGER
        assert names.EXPIRES not in labels


def test_render_replaces_an_earlier_render_and_keeps_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "kustomization.yaml").write_text("resources: []\n")
    (out / "001-notes.yaml").write_text("mine: true\n")
    # What renders wrote before they carried a header: a run-id name.
    old = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "cdh-ci-20250101-120000-abcd",
            "labels": {names.MANAGED_BY: names.MANAGER},
        },
    }
    legacy = out / "001-cluster-namespace-cdh-ci-20250101-120000-abcd.yaml"
    legacy.write_text(yaml.safe_dump(old))
    _render(PIPELINE, "--out", str(out))
    pipeline_files = set(_files(out)) - {"kustomization.yaml", "001-notes.yaml"}

    assert _render("logging", "--out", str(out)) == 0

    left = set(_files(out))
    assert not legacy.exists()
    assert not left & pipeline_files
    assert {"kustomization.yaml", "001-notes.yaml"} <= left
    assert len(left) == len(render_logging_objects()) + 2
    assert re.search(
        r"removed \d+ left from an earlier render", capsys.readouterr().out
    )


def test_a_manifest_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    blocker = out / "001-cluster-namespace-cdh-logging.yaml"
    blocker.mkdir(parents=True)

    code = _render("logging", "--out", str(out))

    assert code == 2
    assert f"cannot write {blocker}" in _one_error_line(capsys)


def test_out_below_a_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")

    code = _render("logging", "--out", str(tmp_path / "file" / "sub"))

    assert code == 2
    assert "cannot create the --out folder" in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["loging"], "'loging' is neither a pipeline file nor the word 'logging'"),
        (["logging", "--system", "absent.yaml"], "absent.yaml: no such file"),
        ([PIPELINE, "--system", "system.yaml"], "--system is for `cdh render logging`"),
        ([PIPELINE, "--env", "local"], "only --env kubernetes has manifests"),
    ],
)
def test_bad_render_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    code = _render(*args, "--out", str(tmp_path / "out"))

    assert code == 2
    assert expected in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("version", VERSIONS)
def test_every_file_cdh_render_writes_is_schema_valid(
    tmp_path: Path, version: str
) -> None:
    _render(PIPELINE, "--out", str(tmp_path / "run"))
    _render("logging", "--out", str(tmp_path / "logging"))

    paths = sorted(tmp_path.glob("*/*.yaml"))
    assert len(paths) > len(render_logging_objects())
    for path in paths:
        kubernetes_validate.validate(
            yaml.safe_load(path.read_text()), version, strict=True
        )
