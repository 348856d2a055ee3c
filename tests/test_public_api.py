"""The package's public surface is deliberate, complete and documented."""

from __future__ import annotations

import inspect
import subprocess
import sys

import harness
from harness import errors, model


def test_all_lists_exactly_the_names_the_package_resolves() -> None:
    assert sorted(harness.__all__) == sorted(harness._HOMES)


def test_every_exported_name_resolves_and_is_documented() -> None:
    undocumented = [
        name for name in harness.__all__ if not inspect.getdoc(getattr(harness, name))
    ]

    assert undocumented == []


def test_the_error_tree_and_the_model_are_exported_whole() -> None:
    defined = [
        name
        for module in (errors, model)
        for name, value in vars(module).items()
        if inspect.isclass(value) and value.__module__ == module.__name__
    ]

    assert sorted(set(defined) - set(harness.__all__)) == []


def test_importing_the_package_loads_nothing_heavy() -> None:
    probe = (
        "import sys, harness; "
        "print(sorted(m for m in sys.modules if m.startswith(('harness.', 'yaml'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout

    assert loaded.strip() == "[]"
