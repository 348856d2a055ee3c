"""The six layers of the test pyramid and how a test gets one."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import PurePath


class Layer(str, enum.Enum):
    """A layer of the pyramid; its value is the pytest marker's name."""

    UNIT = "unit"
    INTEGRATION = "integration"
    CONTRACT = "contract"
    API = "api"
    E2E = "e2e"
    LOAD = "load"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @property
    def needs_environment(self) -> bool:
        """True for layers that run against deployed services."""
        return self in (Layer.API, Layer.E2E, Layer.LOAD)


_DESCRIPTIONS = {
    Layer.UNIT: "unit test: nothing outside the process, sockets are refused",
    Layer.INTEGRATION: "integration test: a real database, other services as "
    "stubs served from their contracts",
    Layer.CONTRACT: "contract test: pact consumer tests and provider verification",
    Layer.API: "service API test against one deployed service",
    Layer.E2E: "end-to-end user journey through the deployed system",
    Layer.LOAD: "load test: locust against the deployed system, gated on SLOs",
}

LAYER_NAMES = tuple(layer.value for layer in Layer)


def layer_from_path(path: PurePath, suites: Iterable[PurePath]) -> Layer | None:
    """The layer a test file's folder names, e.g. ``suites/unit/x.py`` → unit.

    Args:
        path: the test file.
        suites: the folders whose immediate sub-folders name layers.
    """
    for root in suites:
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue
        if len(relative.parts) > 1 and relative.parts[0] in LAYER_NAMES:
            return Layer(relative.parts[0])
    return None
