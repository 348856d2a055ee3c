"""harness.config: system and pipeline files to model objects, and their errors.

Every error test asserts the whole one-line message, line number included,
because that line is all a user sees when a file is wrong.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.config import find_pipeline_files, load_pipeline, load_system
from harness.errors import ConfigError, HarnessError
from harness.layers import Layer
from harness.model import TestGate

REPO = Path(__file__).resolve().parent.parent

SYSTEM = """\
services:
  catalog:
    path: services/catalog
    run: [python, -m, catalog]
  orders:
    path: services/orders
    run: [python, -m, orders]
    needs: [catalog]
    env:
      CATALOG_URL: ${catalog.url}
      ORDERS_DATABASE_URL: sqlite:///${data}/orders.sqlite
"""

PIPELINE_HEAD = """\
system: ../system.yaml
stages:
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two services and a locustfile, as the working folder."""
    monkeypatch.chdir(tmp_path)
    for service in ("catalog", "orders"):
        (tmp_path / "services" / service).mkdir(parents=True)
    write(tmp_path / "suites/load/locustfile.py", "")
    write(tmp_path / "system.yaml", SYSTEM)
    return tmp_path


def system_error(text: str) -> str:
    write(Path("system.yaml"), text)
    with pytest.raises(ConfigError) as caught:
        load_system(Path("system.yaml"))
    return one_line(caught.value)


def pipeline_error(text: str, **kwargs: str) -> str:
    write(Path("pipelines/ci.yaml"), text)
    with pytest.raises(ConfigError) as caught:
        load_pipeline(Path("pipelines/ci.yaml"), **kwargs)
    return one_line(caught.value)


def stages_error(stages: str) -> str:
    """The error for a pipeline whose stages: block is ``stages``."""
    return pipeline_error(
        PIPELINE_HEAD + textwrap.indent(textwrap.dedent(stages), "  ")
    )


def one_line(error: ConfigError) -> str:
    message = str(error)
    assert "\n" not in message
    assert isinstance(error, HarnessError)
    return message


# --- loading what is right ---------------------------------------------------


def test_demo_files_load_into_the_model(repo: Path) -> None:
    # The repository's own system.yaml and pipelines/ci.yaml, next to stub
    # folders, so that the demo's schema is checked without its services.
    for service in ("catalog", "orders", "storefront"):
        (repo / "services" / service).mkdir(parents=True, exist_ok=True)
    write(repo / "system.yaml", (REPO / "system.yaml").read_text())
    write(repo / "pipelines/ci.yaml", (REPO / "pipelines/ci.yaml").read_text())

    pipeline = load_pipeline(Path("pipelines/ci.yaml"))

    assert pipeline.name == "ci"
    assert pipeline.source == repo / "pipelines/ci.yaml"
    assert pipeline.environment == "local"
    assert pipeline.root == repo
    assert list(pipeline.stages) == [
        "unit", "integration", "contract", "deploy", "api", "e2e", "load",
    ]  # fmt: skip
    deploy = pipeline.stages["deploy"]
    assert (deploy.action, deploy.layer) == ("deploy", None)
    assert deploy.needs == ("integration", "contract")
    unit = pipeline.stages["unit"]
    assert (unit.layer, unit.paths, unit.timeout) == (Layer.UNIT, ("suites/unit",), 600)
    assert (unit.gate.max_failures, unit.gate.coverage) == (0, 0.6)
    assert len(unit.gate.cover) == 3
    load = pipeline.stages["load"]
    assert load.load is not None
    assert load.load.locustfile == repo / "suites/load/locustfile.py"
    assert (load.load.target, load.load.users, load.load.spawn_rate) == (
        "storefront", 20, 20.0,
    )  # fmt: skip
    assert load.load.duration == 15.0
    assert [t.text for t in load.thresholds] == [
        "p95 < 300ms", "error_rate < 1%", "rps > 50",
    ]  # fmt: skip
    schedule = pipeline.schedules["nightly-contracts"]
    assert (schedule.cron, schedule.stages) == ("0 2 * * *", ("contract",))
    storefront = pipeline.system.services["storefront"]
    assert storefront.path == repo / "services/storefront"
    assert storefront.needs == ("catalog", "orders")
    assert storefront.env["ORDERS_URL"] == "${orders.url}"


def test_service_defaults_and_scalar_env_values_kept_as_written(repo: Path) -> None:
    write(
        repo / "system.yaml",
        """\
        services:
          catalog:
            path: services/catalog
            run: [sleep, 5]
            env: {WORKERS: 4, DEBUG: yes, MODE: 0755, RATIO: 1.50}
        """,
    )

    system = load_system(Path("system.yaml"))

    catalog = system.services["catalog"]
    assert system.source == repo / "system.yaml"
    assert catalog.run == ("sleep", "5")
    assert catalog.env == {
        "WORKERS": "4",
        "DEBUG": "yes",
        "MODE": "0755",
        "RATIO": "1.50",
    }
    assert (catalog.port, catalog.health, catalog.needs) == (8080, "/health", ())
    assert catalog.startup_timeout == 30.0
    assert system.services["catalog"].path.is_absolute()


def test_load_stage_defaults_and_test_stage_options(repo: Path) -> None:
    write(
        repo / "pipelines/smoke.yml",
        """\
        system: ../system.yaml
        stages:
          unit:
            layer: unit
            paths: [suites/unit/test_fast.py]
            pytest_args: [-x, -q]
            allow_empty: true
            timeout: 2m
            gate: {max_failures: 3}
          load:
            layer: load
            locustfile: suites/load/locustfile.py
            target: orders
            gate: ["p95 < 1s"]
        name: smoke-test
        environment: kubernetes
        """,
    )

    write(repo / "suites/unit/test_fast.py", "def test_fast():\n    pass\n")

    pipeline = load_pipeline(repo / "pipelines/smoke.yml")

    unit = pipeline.stages["unit"]
    assert unit.paths == ("suites/unit/test_fast.py",)
    assert unit.pytest_args == ("-x", "-q")
    assert (unit.allow_empty, unit.timeout, unit.gate) == (True, 120.0, TestGate(3))
    load = pipeline.stages["load"].load
    assert load is not None
    assert (load.users, load.spawn_rate, load.duration) == (10, 10.0, 30.0)
    assert [t.text for t in pipeline.stages["load"].thresholds] == ["p95 < 1s"]
    assert (pipeline.name, pipeline.environment) == ("smoke-test", "kubernetes")
    assert pipeline.schedules == {}


def test_environment_argument_overrides_the_file(repo: Path) -> None:
    write(repo / "pipelines/ci.yaml", PIPELINE_HEAD + "  unit: {layer: unit}\n")

    pipeline = load_pipeline(Path("pipelines/ci.yaml"), environment="kubernetes")

    assert pipeline.environment == "kubernetes"


def test_yaml_merge_keys_are_applied(repo: Path) -> None:
    write(
        repo / "pipelines/ci.yaml",
        PIPELINE_HEAD
        + """\
          unit: &base {layer: unit, timeout: 30s}
          integration: {<<: *base, layer: integration}
        """,
    )

    stages = load_pipeline(Path("pipelines/ci.yaml")).stages

    assert stages["integration"].layer is Layer.INTEGRATION
    assert stages["integration"].timeout == 30.0


def test_find_pipeline_files_lists_yaml_files_by_name(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "notes.txt"):
        write(tmp_path / "pipelines" / name, "")
    (tmp_path / "pipelines/c.yaml").mkdir()

    found = find_pipeline_files(tmp_path)

    assert found == [tmp_path / "pipelines/a.yaml", tmp_path / "pipelines/b.yml"]
    assert find_pipeline_files(tmp_path / "elsewhere") == []


# --- the file itself -----------------------------------------------------------


def test_missing_file(repo: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_system(Path("nope.yaml"))

    assert one_line(caught.value) == (
        "nope.yaml: no such file — check the path and the working folder"
    )


def test_yaml_syntax_error_names_the_line_of_the_problem(repo: Path) -> None:
    message = system_error(
        """\
        services:
          catalog:
            path: services/catalog
            run: [python, -m, catalog
          orders:
        """
    )

    assert message == (
        "system.yaml:5: YAML syntax error: expected ',' or ']', but got ':' "
        "(column 9) — check indentation and quote values holding ': ', '#', "
        "'*' or '{'"
    )


def test_second_yaml_document_is_a_syntax_error(repo: Path) -> None:
    message = system_error("services: {}\n---\nservices: {}\n")

    assert message == (
        "system.yaml:2: YAML syntax error: expected a single document in the "
        "stream, but found another document (column 1) — check indentation and "
        "quote values holding ': ', '#', '*' or '{'"
    )


def test_file_that_is_not_utf8(repo: Path) -> None:
    (repo / "system.yaml").write_bytes(b"services:\n  caf\xe9: {}\n")

    with pytest.raises(ConfigError) as caught:
        load_system(Path("system.yaml"))

    assert one_line(caught.value) == (
        "system.yaml: not UTF-8 text (invalid continuation byte) — save it as UTF-8"
    )


def test_empty_file(repo: Path) -> None:
    assert system_error("# nothing yet\n") == (
        "system.yaml: the file is empty — start it with services:"
    )


def test_top_level_must_be_a_mapping(repo: Path) -> None:
    assert system_error("- catalog\n") == (
        "system.yaml:1: the top level must be a mapping with services:, got a list"
    )


def test_duplicate_keys_are_rejected(repo: Path) -> None:
    message = stages_error(
        """\
        unit: {layer: unit}
        api: {layer: api}
        unit: {layer: unit, needs: [api]}
        """
    )

    assert message == (
        "pipelines/ci.yaml:5: duplicate key 'unit' (first at line 3) — YAML "
        "would silently keep only the last one; remove or rename one of them"
    )


# --- the system file -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "service:\n  catalog: {path: services/catalog, run: [x]}\n",
            "system.yaml:1: unknown key 'service' in the top level — "
            "did you mean 'services'?",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    prot: 8080\n",
            "system.yaml:5: unknown key 'prot' in services.catalog — "
            "did you mean 'port'?",
            id="unknown-key-close-match",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog, run: [x], image: c}\n",
            "system.yaml:2: unknown key 'image' in services.catalog — use one of: "
            "path, run, port, health, needs, env, startup_timeout",
            id="unknown-key-no-match",
        ),
        pytest.param(
            "services: {}\n",
            "system.yaml:1: services is empty — define at least one service",
            id="no-services",
        ),
        pytest.param(
            "services:\n  catalog:\n    run: [python, -m, catalog]\n",
            "system.yaml:2: services.catalog is missing the required key 'path' — "
            "add path: to services.catalog",
            id="missing-path",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog}\n",
            "system.yaml:2: services.catalog is missing the required key 'run' — "
            "add run: to services.catalog",
            id="missing-run",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog, run: []}\n",
            "system.yaml:2: services.catalog.run is empty — give the command, "
            "e.g. [python, -m, catalog]",
            id="empty-run",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog, run: python -m x}\n",
            "system.yaml:2: services.catalog.run must be a list of arguments, got "
            "the text 'python -m x' — write [python -m x]",
            id="run-not-a-list",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    port: http\n",
            "system.yaml:5: services.catalog.port must be a whole number from 1 to "
            "65535, got the text 'http'",
            id="port-not-a-number",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog, run: [x], port: 70000}\n",
            "system.yaml:2: services.catalog.port must be a whole number from 1 to "
            "65535, got the integer 70000",
            id="port-out-of-range",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/catalog, run: [x], health: up}\n",
            "system.yaml:2: services.catalog.health 'up' does not start with '/' — "
            "write the path of the health check, e.g. /up",
            id="health-not-a-path",
        ),
        pytest.param(
            "services:\n  catalog: {path: services/katalog, run: [x]}\n",
            "system.yaml:2: services.catalog.path: folder 'services/katalog' not "
            "found (looked for {repo}/services/katalog) — create it or fix the "
            "path; it is relative to the system file",
            id="path-not-found",
        ),
        pytest.param(
            "services:\n  Catalog: {path: services/catalog, run: [x]}\n",
            "system.yaml:2: service name 'Catalog' is not a lowercase DNS label — "
            "use at most 63 lowercase letters, digits and '-', starting and ending "
            "with a letter or digit (it becomes a Kubernetes name)",
            id="service-name-not-dns",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    needs: [catalgo]\n",
            "system.yaml:5: services.catalog.needs: unknown service 'catalgo' — "
            "did you mean 'catalog'?",
            id="needs-unknown-service",
        ),
        pytest.param(
            "services:\n  orders: {path: services/orders, run: [x], needs: catalog}\n"
            "  catalog: {path: services/catalog, run: [x]}\n",
            "system.yaml:2: services.orders.needs must be a list of service names, "
            "got the text 'catalog' — write [catalog]",
            id="needs-not-a-list",
        ),
        pytest.param(
            "services:\n"
            "  catalog: {path: services/catalog, run: [x], needs: [orders]}\n"
            "  orders: {path: services/orders, run: [x], needs: [catalog]}\n",
            "system.yaml:3: the services' needs form a cycle: catalog → orders → "
            "catalog — remove one of these needs",
            id="needs-cycle",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    startup_timeout: soon\n",
            "system.yaml:5: services.catalog.startup_timeout must be a positive "
            "duration, got the text 'soon' — write e.g. 500ms, 30s, 2m or 1h",
            id="bad-startup-timeout",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    env:\n      PEER: ${ordres.url}\n",
            "system.yaml:6: services.catalog.env.PEER: ${ordres.url} names unknown "
            "service 'ordres' — use one of: catalog",
            id="placeholder-unknown-service",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    env:\n      PORT: ${catalog.port}\n",
            "system.yaml:6: services.catalog.env.PORT: unknown placeholder "
            "${catalog.port} — use ${<service>.url} or ${data}",
            id="unknown-placeholder",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    env:\n      DB: sqlite:///${data/x\n",
            "system.yaml:6: services.catalog.env.DB: unclosed placeholder in "
            "'sqlite:///${data/x' — end it with '}'",
            id="unclosed-placeholder",
        ),
        pytest.param(
            "services:\n  catalog:\n    path: services/catalog\n    run: [x]\n"
            "    env:\n      TOKEN:\n",
            "system.yaml:6: services.catalog.env.TOKEN must be text, got nothing — "
            'quote the value; write "" for empty',
            id="env-value-missing",
        ),
    ],
)
def test_system_file_mistakes(repo: Path, text: str, expected: str) -> None:
    assert system_error(text) == expected.replace("{repo}", str(repo))


def test_typo_in_a_placeholder_service_gets_a_hint(repo: Path) -> None:
    # The demo's orders.env refers to catalog; a typo there is caught with a hint.
    message = system_error(SYSTEM.replace("${catalog.url}", "${catalgo.url}"))

    assert message == (
        "system.yaml:10: services.orders.env.CATALOG_URL: ${catalgo.url} names "
        "unknown service 'catalgo' — did you mean 'catalog'?"
    )


# --- the pipeline file -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "stages:\n  unit: {layer: unit}\n",
            "pipelines/ci.yaml:1: the top level is missing the required key "
            "'system' — add system: to the top level",
            id="missing-system",
        ),
        pytest.param(
            "system: ../system.yaml\n",
            "pipelines/ci.yaml:1: the top level is missing the required key "
            "'stages' — add stages: to the top level",
            id="missing-stages",
        ),
        pytest.param(
            "system: ../sytem.yaml\nstages:\n  unit: {layer: unit}\n",
            "pipelines/ci.yaml:1: system file '../sytem.yaml' not found (looked for "
            "sytem.yaml) — fix the path; it is relative to the pipeline file",
            id="system-file-not-found",
        ),
        pytest.param(
            "system: ../system.yaml\nstages: []\n",
            "pipelines/ci.yaml:2: stages must be a mapping of stage name to stage, "
            "got a list — write one 'name: {layer: ...}' per stage",
            id="stages-not-a-mapping",
        ),
        pytest.param(
            "system: ../system.yaml\nstages: {}\n",
            "pipelines/ci.yaml:2: stages is empty — define at least one stage, "
            "e.g. unit: {layer: unit}",
            id="stages-empty",
        ),
        pytest.param(
            "system: ../system.yaml\nenvironment: docker\nstages:\n"
            "  unit: {layer: unit}\n",
            "pipelines/ci.yaml:2: unknown environment 'docker' — use one of: "
            "local, kubernetes",
            id="unknown-environment",
        ),
        pytest.param(
            "system: ../system.yaml\nname: my pipeline\nstages:\n"
            "  unit: {layer: unit}\n",
            "pipelines/ci.yaml:2: pipeline name 'my pipeline' has characters a file "
            "name cannot take — use letters, digits, '-', '_' and '.', starting "
            "with a letter or digit",
            id="bad-pipeline-name",
        ),
    ],
)
def test_pipeline_file_mistakes(repo: Path, text: str, expected: str) -> None:
    assert pipeline_error(text) == expected


def test_unknown_environment_argument(repo: Path) -> None:
    message = pipeline_error(
        PIPELINE_HEAD + "  unit: {layer: unit}\n", environment="k8s"
    )

    assert message == (
        "pipelines/ci.yaml: unknown environment 'k8s' requested — use one of: "
        "local, kubernetes"
    )


def test_mistake_in_the_system_file_is_reported_against_it(repo: Path) -> None:
    write(repo / "system.yaml", "services:\n  catalog: {path: services/catalog}\n")

    message = pipeline_error(PIPELINE_HEAD + "  unit: {layer: unit}\n")

    assert message == (
        "system.yaml:2: services.catalog is missing the required key 'run' — "
        "add run: to services.catalog"
    )


LOAD = "load: {layer: load, locustfile: suites/load/locustfile.py, target: orders, "


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        pytest.param(
            "unit: {layer: unit, need: [api]}\n",
            "pipelines/ci.yaml:3: unknown key 'need' in stages.unit — "
            "did you mean 'needs'?",
            id="unknown-stage-key",
        ),
        pytest.param(
            "deploy: {action: deploy}\napi: {layer: api, needs: [deplyo]}\n",
            "pipelines/ci.yaml:4: stages.api.needs: unknown stage 'deplyo' — "
            "did you mean 'deploy'?",
            id="needs-unknown-stage-close",
        ),
        pytest.param(
            "unit: {layer: unit}\napi: {layer: api, needs: [build]}\n",
            "pipelines/ci.yaml:4: stages.api.needs: unknown stage 'build' — "
            "use one of: unit, api",
            id="needs-unknown-stage",
        ),
        pytest.param(
            "unit: {layer: unit}\nintegration: {layer: integration, needs: unit}\n",
            "pipelines/ci.yaml:4: stages.integration.needs must be a list of stage "
            "names, got the text 'unit' — write [unit]",
            id="needs-not-a-list",
        ),
        pytest.param(
            "unit: {layer: unit, needs: [e2e]}\n"
            "api: {layer: api, needs: [unit]}\n"
            "e2e: {layer: e2e, needs: [api]}\n",
            "pipelines/ci.yaml:4: the stages' needs form a cycle: unit → e2e → api "
            "→ unit — remove one of these needs",
            id="needs-cycle",
        ),
        pytest.param(
            "unit: {layer: unit, needs: [unit]}\n",
            "pipelines/ci.yaml:3: the stages' needs form a cycle: unit → unit — "
            "remove one of these needs",
            id="needs-itself",
        ),
        pytest.param(
            "unit: {layer: unit, action: deploy}\n",
            "pipelines/ci.yaml:3: stage 'unit' has both of layer: and action: — "
            "give a test stage layer: <layer>, or an action stage action: deploy",
            id="layer-and-action",
        ),
        pytest.param(
            "unit:\n  needs: []\n",
            "pipelines/ci.yaml:3: stage 'unit' has neither of layer: and action: — "
            "give a test stage layer: <layer>, or an action stage action: deploy",
            id="neither-layer-nor-action",
        ),
        pytest.param(
            "unit: {layer: unti}\n",
            "pipelines/ci.yaml:3: stages.unit.layer: unknown layer 'unti' — did you "
            "mean 'unit'? (one of: unit, integration, contract, api, e2e, load)",
            id="unknown-layer-close",
        ),
        pytest.param(
            "smoke: {layer: smoke}\n",
            "pipelines/ci.yaml:3: stages.smoke.layer: unknown layer 'smoke' — use "
            "one of: unit, integration, contract, api, e2e, load",
            id="unknown-layer",
        ),
        pytest.param(
            "ship: {action: release}\n",
            "pipelines/ci.yaml:3: stages.ship.action: unknown action 'release' — "
            "use one of: deploy",
            id="unknown-action",
        ),
        pytest.param(
            "unit: {layer: unit, users: 5}\n",
            "pipelines/ci.yaml:3: users is only valid on load stages (layer: load), "
            "not on stages.unit — remove it",
            id="load-key-on-unit-stage",
        ),
        pytest.param(
            "deploy:\n  action: deploy\n  paths: [suites]\n",
            "pipelines/ci.yaml:5: paths is only valid on test stages (layer: ...), "
            "not on stages.deploy — remove it",
            id="test-key-on-deploy-stage",
        ),
        pytest.param(
            "unit: {layer: unit, timeout: 10x}\n",
            "pipelines/ci.yaml:3: stages.unit.timeout must be a positive duration, "
            "got the text '10x' — write e.g. 500ms, 30s, 2m or 1h",
            id="bad-timeout",
        ),
        pytest.param(
            "unit: {layer: unit, allow_empty: maybe}\n",
            "pipelines/ci.yaml:3: stages.unit.allow_empty must be true or false, "
            "got the text 'maybe'",
            id="allow-empty-not-bool",
        ),
        pytest.param(
            'unit: {layer: unit, gate: ["p95 < 1s"]}\n',
            "pipelines/ci.yaml:3: stages.unit.gate must be a mapping like "
            "{max_failures: 0, reruns: 2}, got a list — lists of thresholds are for "
            "load stages",
            id="threshold-gate-on-test-stage",
        ),
        pytest.param(
            "unit: {layer: unit, gate: {max_failures: -1}}\n",
            "pipelines/ci.yaml:3: stages.unit.gate.max_failures must be a whole "
            "number of at least 0, got the integer -1",
            id="negative-max-failures",
        ),
        pytest.param(
            "unit: {layer: unit, gate: {coverag: 80%}}\n",
            "pipelines/ci.yaml:3: unknown key 'coverag' in stages.unit.gate — did "
            "you mean 'coverage'?",
            id="unknown-gate-key",
        ),
    ],
)
def test_stage_mistakes(repo: Path, stages: str, expected: str) -> None:
    assert stages_error(stages) == expected


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        pytest.param(
            "load: {layer: load, target: orders}\n",
            "pipelines/ci.yaml:3: stages.load is missing the required key "
            "'locustfile' — add locustfile: to stages.load",
            id="missing-locustfile",
        ),
        pytest.param(
            "load:\n  layer: load\n  locustfile: suites/load/locustfile.py\n",
            "pipelines/ci.yaml:3: stages.load is missing the required key 'target' "
            "— add target: to stages.load",
            id="missing-target",
        ),
        pytest.param(
            "load: {layer: load, locustfile: locustfile.py, target: orders}\n",
            "pipelines/ci.yaml:3: stages.load.locustfile: 'locustfile.py' not found "
            "(looked for {repo}/locustfile.py) — fix the path; it is relative to "
            "the folder of the system file",
            id="locustfile-not-found",
        ),
        pytest.param(
            "load:\n  layer: load\n  locustfile: suites/load/locustfile.py\n"
            "  target: order\n",
            "pipelines/ci.yaml:6: stages.load.target: unknown service 'order' — "
            "did you mean 'orders'?",
            id="target-not-a-service",
        ),
        pytest.param(
            LOAD + "users: 0}\n",
            "pipelines/ci.yaml:3: stages.load.users must be a whole number of at "
            "least 1, got the integer 0",
            id="zero-users",
        ),
        pytest.param(
            LOAD + "users: -5}\n",
            "pipelines/ci.yaml:3: stages.load.users must be a whole number of at "
            "least 1, got the integer -5",
            id="negative-users",
        ),
        pytest.param(
            LOAD + "users: many}\n",
            "pipelines/ci.yaml:3: stages.load.users must be a whole number of at "
            "least 1, got the text 'many'",
            id="users-not-a-number",
        ),
        pytest.param(
            LOAD + "spawn_rate: 0}\n",
            "pipelines/ci.yaml:3: stages.load.spawn_rate must be a finite number "
            "above 0, got the integer 0",
            id="zero-spawn-rate",
        ),
        pytest.param(
            LOAD + "duration: 15x}\n",
            "pipelines/ci.yaml:3: stages.load.duration must be a positive duration, "
            "got the text '15x' — write e.g. 500ms, 30s, 2m or 1h",
            id="bad-duration",
        ),
        pytest.param(
            "load:\n  layer: load\n  locustfile: suites/load/locustfile.py\n"
            '  target: orders\n  gate:\n    - "rps > 5"\n    - "p95 < fast"\n',
            "pipelines/ci.yaml:9: stages.load.gate[1]: 'p95 < fast' is not a "
            "threshold (write e.g. 'p95 < 300ms', 'error_rate < 1%', 'rps > 50') "
            "— a threshold reads <metric> <op> <value><unit>",
            id="bad-threshold",
        ),
        pytest.param(
            LOAD + 'gate: ["p95 < 300"]}\n',
            "pipelines/ci.yaml:3: stages.load.gate[0]: 'p95 < 300': p95 needs a "
            "unit, ms or s — a threshold reads <metric> <op> <value><unit>",
            id="threshold-without-unit",
        ),
        pytest.param(
            LOAD + "gate: {max_failures: 0}}\n",
            "pipelines/ci.yaml:3: stages.load.gate must be a list of thresholds like "
            '["p95 < 300ms"], got a mapping — {max_failures: ...} is for test stages',
            id="test-gate-on-load-stage",
        ),
    ],
)
def test_load_stage_mistakes(repo: Path, stages: str, expected: str) -> None:
    assert stages_error(stages) == expected.replace("{repo}", str(repo))


@pytest.mark.parametrize(
    ("schedules", "expected"),
    [
        pytest.param(
            'nightly: {cron: "0 2 * *", stages: [unit]}\n',
            "pipelines/ci.yaml:6: schedules.nightly.cron: '0 2 * *' has 4 fields, "
            "cron takes 5 — write minute hour day-of-month month day-of-week, "
            "e.g. '0 2 * * *'",
            id="cron-four-fields",
        ),
        pytest.param(
            'nightly: {cron: "0 25 * * *", stages: [unit]}\n',
            "pipelines/ci.yaml:6: schedules.nightly.cron: '25' is not a valid hour "
            "field in '0 25 * * *' — use *, 0-23, a range a-b, a list a,b or a "
            "step /n",
            id="cron-hour-out-of-range",
        ),
        pytest.param(
            'nightly: {cron: "*/0 * * * mon", stages: [unit]}\n',
            "pipelines/ci.yaml:6: schedules.nightly.cron: '*/0' is not a valid "
            "minute field in '*/0 * * * mon' — use *, 0-59, a range a-b, a list "
            "a,b or a step /n",
            id="cron-zero-step",
        ),
        pytest.param(
            'nightly: {cron: "0 2 * * *", stages: [contracts]}\n',
            "pipelines/ci.yaml:6: schedules.nightly.stages: unknown stage "
            "'contracts' — did you mean 'contract'?",
            id="schedule-unknown-stage",
        ),
        pytest.param(
            'nightly: {cron: "0 2 * * *", stages: []}\n',
            "pipelines/ci.yaml:6: schedules.nightly.stages is empty — name the "
            "stages to run",
            id="schedule-no-stages",
        ),
        pytest.param(
            "nightly: {stages: [unit]}\n",
            "pipelines/ci.yaml:6: schedules.nightly is missing the required key "
            "'cron' — add cron: to schedules.nightly",
            id="schedule-missing-cron",
        ),
    ],
)
def test_schedule_mistakes(repo: Path, schedules: str, expected: str) -> None:
    text = (
        PIPELINE_HEAD
        + "  unit: {layer: unit}\n  contract: {layer: contract}\nschedules:\n"
        + textwrap.indent(schedules, "  ")
    )

    assert pipeline_error(text) == expected


def test_valid_cron_forms_are_accepted(repo: Path) -> None:
    write(
        repo / "pipelines/ci.yaml",
        PIPELINE_HEAD
        + "  unit: {layer: unit}\nschedules:\n"
        + '  often: {cron: "*/15 0-6,22-23 1 1-12/2 7", stages: [unit]}\n',
    )

    pipeline = load_pipeline(Path("pipelines/ci.yaml"))

    assert pipeline.schedules["often"].cron == "*/15 0-6,22-23 1 1-12/2 7"


# --- rules that keep a run from failing late -------------------------------------


def test_placeholder_of_a_service_not_needed_is_refused(repo: Path) -> None:
    message = system_error(SYSTEM.replace("needs: [catalog]", "needs: []"))

    assert message == (
        "system.yaml:10: services.orders.env.CATALOG_URL: ${catalog.url} but "
        "orders does not need catalog — add catalog to the needs: of orders"
    )


def test_stage_paths_must_exist(repo: Path) -> None:
    message = stages_error("unit: {layer: unit, paths: [suites/unti]}\n")

    assert message == (
        "pipelines/ci.yaml:3: stages.unit.paths[0]: 'suites/unti' not found — fix "
        "the path; it is relative to the folder of the system file"
    )


def test_load_stage_without_thresholds_is_refused(repo: Path) -> None:
    message = stages_error(LOAD + "users: 5}\n")

    assert message == (
        "pipelines/ci.yaml:3: load stage 'load' has no thresholds, so its gate "
        'could not fail — add e.g. gate: ["p95 < 300ms", "error_rate < 1%"]'
    )


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        pytest.param(
            'gate: ["error_rate < 150%"]}\n',
            "stages.load.gate[0]: 'error_rate < 150%': an error rate lies between "
            "0 and 100% (1 as a fraction)",
            id="error-rate-over-100",
        ),
        pytest.param(
            'duration: 99999999h, gate: ["p95 < 1s"]}\n',
            "stages.load.duration must be a positive duration",
            id="duration-too-long",
        ),
        pytest.param(
            'spawn_rate: .inf, gate: ["p95 < 1s"]}\n',
            "stages.load.spawn_rate must be a finite number above 0",
            id="infinite-spawn-rate",
        ),
    ],
)
def test_values_out_of_any_sensible_range(
    repo: Path, stage: str, expected: str
) -> None:
    assert expected in stages_error(LOAD + stage)


def test_coverage_gate_defaults_to_the_services_code(repo: Path) -> None:
    write(
        repo / "pipelines/ci.yaml",
        "system: ../system.yaml\nstages:\n"
        "  unit: {layer: unit, gate: {coverage: 80%}}\n",
    )

    gate = load_pipeline(repo / "pipelines/ci.yaml").stages["unit"].gate

    assert gate.coverage == 0.8
    assert gate.cover == (
        str(repo / "services" / "catalog"),
        str(repo / "services" / "orders"),
    )


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (
            "{coverage: lots}",
            "pipelines/ci.yaml:3: stages.unit.gate.coverage: 'lots' is not a "
            "percentage — write e.g. 80%",
        ),
        (
            "{coverage: 180%}",
            "pipelines/ci.yaml:3: stages.unit.gate.coverage: '180%' is not a "
            "percentage — write e.g. 80%",
        ),
        (
            "{cover: [services]}",
            "pipelines/ci.yaml:3: cover: names what coverage: measures — add "
            "coverage: 80% or remove it",
        ),
        (
            "{coverage: 80%, cover: [nope]}",
            "pipelines/ci.yaml:3: stages.unit.gate.cover[0]: 'nope' not found — fix "
            "the path; it is relative to the folder of the system file",
        ),
    ],
)
def test_coverage_gate_mistakes(repo: Path, gate: str, expected: str) -> None:
    assert stages_error(f"unit: {{layer: unit, gate: {gate}}}\n") == expected
