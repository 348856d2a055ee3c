"""The pytest plugin, tested from outside with pytester."""

from __future__ import annotations

import pytest


@pytest.fixture
def suites(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    for layer in ("unit", "integration", "contract"):
        (pytester.path / "suites" / layer).mkdir(parents=True)
    return pytester


def write(pytester: pytest.Pytester, path: str, source: str) -> None:
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)


def test_layer_markers_are_registered_with_descriptions(
    suites: pytest.Pytester,
) -> None:
    result = suites.runpytest("--markers")

    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.unit: unit test: nothing outside the process*",
            "@pytest.mark.contract: contract test*",
            "@pytest.mark.load: load test*",
        ]
    )


def test_folder_gives_the_layer_so_dash_m_selects_it(suites: pytest.Pytester) -> None:
    write(suites, "suites/unit/test_a.py", "def test_one(): pass\n")
    write(suites, "suites/contract/test_b.py", "def test_two(): pass\n")

    result = suites.runpytest("-m", "contract", "suites", "-v")

    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*suites/contract/test_b.py::test_two PASSED*"])


def test_tests_with_two_layers_or_none_are_refused_with_a_list(
    suites: pytest.Pytester,
) -> None:
    write(
        suites,
        "suites/unit/test_a.py",
        "import pytest\n\n"
        "@pytest.mark.integration\n@pytest.mark.unit\ndef test_both(): pass\n",
    )
    write(suites, "suites/misc/test_c.py", "def test_none(): pass\n")

    result = suites.runpytest("suites")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: 2 test(s) have no layer or two:",
            "  suites/misc/test_c.py::test_none: no layer",
            "  suites/unit/test_a.py::test_both: two layers (integration, unit)",
            "Put each test under suites/<layer>/ or give it exactly one of the*",
        ]
    )


def test_an_explicit_marker_wins_over_the_folder(suites: pytest.Pytester) -> None:
    write(
        suites,
        "suites/misc/test_c.py",
        "import pytest\n\n@pytest.mark.e2e\ndef test_journey(): pass\n",
    )
    write(
        suites,
        "suites/unit/test_d.py",
        "import pytest\n\n@pytest.mark.e2e\ndef test_other(): pass\n",
    )

    result = suites.runpytest("-m", "e2e", "suites")

    result.assert_outcomes(passed=2)


def test_unit_test_opening_a_socket_fails_naming_the_address(
    suites: pytest.Pytester,
) -> None:
    write(
        suites,
        "suites/unit/test_net.py",
        "import socket\n\n"
        "def test_swallowed():\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', 9), timeout=0.5)\n"
        "    except OSError:\n"
        "        pass\n",
    )

    result = suites.runpytest("suites")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*unit test opened a socket connection to 127.0.0.1:9; unit tests touch*"]
    )


def test_integration_tests_may_open_sockets(suites: pytest.Pytester) -> None:
    write(
        suites,
        "suites/integration/test_net.py",
        "import socket\n\n"
        "def test_listen_and_connect():\n"
        "    server = socket.create_server(('127.0.0.1', 0))\n"
        "    socket.create_connection(server.getsockname(), timeout=1).close()\n"
        "    server.close()\n",
    )

    result = suites.runpytest("suites")

    result.assert_outcomes(passed=1)


def test_pyramid_is_printed_with_tests_per_layer(suites: pytest.Pytester) -> None:
    write(suites, "suites/unit/test_a.py", "def test_1(): pass\ndef test_2(): pass\n")
    write(suites, "suites/integration/test_b.py", "def test_3(): assert 0\n")

    result = suites.runpytest("suites")

    result.stdout.fnmatch_lines(
        [
            "*test pyramid*",
            "layer *tests *failed *seconds",
            "integration *1 *1 *",
            "unit *2 *0 *",
        ]
    )


def test_environment_option_points_fixtures_at_a_deployed_system(
    suites: pytest.Pytester,
) -> None:
    (suites.path / "env.json").write_text(
        '{"backend": "local", "tenant": "t1", '
        '"services": {"catalog": "http://127.0.0.1:9999/"}}'
    )
    write(
        suites,
        "suites/api/test_a.py",
        "def test_url(service_url, environment):\n"
        "    assert service_url('catalog') == 'http://127.0.0.1:9999'\n"
        "    assert environment.tenant == 't1'\n",
    )

    result = suites.runpytest("-m", "api", "suites", "--environment", "env.json")

    result.assert_outcomes(passed=1)


def test_unknown_service_name_is_a_clear_error(suites: pytest.Pytester) -> None:
    (suites.path / "env.json").write_text(
        '{"backend": "local", "tenant": "t1", "services": {"catalog": "http://x"}}'
    )
    write(
        suites,
        "suites/api/test_a.py",
        "def test_url(service_url):\n    service_url('ordrs')\n",
    )

    result = suites.runpytest("suites", "--environment", "env.json")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*service 'ordrs' is not deployed (deployed: catalog)*system.yaml*"]
    )


def test_missing_environment_file_is_one_usage_error(suites: pytest.Pytester) -> None:
    write(suites, "suites/api/test_a.py", "def test_url(service_url): pass\n")
    write(suites, "suites/api/test_b.py", "def test_url(service_url): pass\n")

    result = suites.runpytest("suites", "--environment=nope.json")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *nope.json: no such environment file — *"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "*env.json: not an environment file (*"),
        ('{"backend": "local"}', "*env.json: not an environment file ('tenant')*"),
        (
            '{"backend": "local", "tenant": "t", "services": {"web": "ftp://x"}}',
            "*env.json: service web has URL 'ftp://x' — expected an http:// or*",
        ),
    ],
)
def test_broken_environment_file_is_one_usage_error(
    suites: pytest.Pytester, content: str, expected: str
) -> None:
    (suites.path / "env.json").write_text(content)
    write(suites, "suites/api/test_a.py", "def test_url(service_url): pass\n")

    result = suites.runpytest("suites", "--environment=env.json")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])


def test_environment_file_can_come_from_the_ini(suites: pytest.Pytester) -> None:
    suites.makeini("[pytest]\ncdh_environment = deployed/env.json\n")
    (suites.path / "deployed").mkdir()
    (suites.path / "deployed" / "env.json").write_text(
        '{"backend": "local", "tenant": "t2", "services": {"web": "http://127.0.0.1:1"}}'
    )
    write(
        suites,
        "suites/api/test_a.py",
        "def test_tenant(environment):\n    assert environment.tenant == 't2'\n",
    )

    result = suites.runpytest("suites")

    result.assert_outcomes(passed=1)


def test_sockets_work_again_after_a_unit_test_in_the_same_session(
    suites: pytest.Pytester,
) -> None:
    write(suites, "suites/integration/test_b.py", CONNECTS)
    write(suites, "suites/unit/test_a.py", "def test_pure():\n    assert 1 + 1 == 2\n")
    write(
        suites,
        "suites/zz/test_c.py",
        "import pytest\n\n"
        + CONNECTS.replace(
            "def test_listen", "@pytest.mark.integration\ndef test_listen"
        ),
    )

    result = suites.runpytest("suites")

    result.assert_outcomes(passed=3)


CONNECTS = (
    "import socket\n\n"
    "def test_listen_and_connect():\n"
    "    server = socket.create_server(('127.0.0.1', 0))\n"
    "    socket.create_connection(server.getsockname(), timeout=1).close()\n"
    "    server.close()\n"
)
