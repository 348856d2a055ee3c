"""The package's public surface is deliberate and complete."""

from __future__ import annotations

import inspect

import harness


def test_all_lists_every_public_name_defined_at_the_top() -> None:
    public = {
        name
        for name, value in vars(harness).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name != "annotations"
    }

    assert public == set(harness.__all__)


def test_every_exported_name_is_documented() -> None:
    undocumented = [
        name for name in harness.__all__ if not inspect.getdoc(getattr(harness, name))
    ]

    assert undocumented == []
