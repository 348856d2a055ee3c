"""cd-harness: a repository's test pyramid as a gated delivery pipeline.

The public surface: the model a pipeline is made of, the config loaders,
the environment interface and the error tree. The pytest plugin
(:mod:`harness.plugin`) and the ``cdh`` command build on these.

Names resolve on first use: the pytest plugin imports this package in every
pytest session of a repository, most of which never load a pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.config import load_pipeline, load_system
    from harness.environments.base import Deployment, Environment
    from harness.environments.local import LocalEnvironment
    from harness.errors import (
        ConfigError,
        ContractError,
        EnvironmentError_,
        HarnessError,
        LoadError,
    )
    from harness.layers import Layer
    from harness.model import (
        LoadSettings,
        Pipeline,
        Schedule,
        Service,
        Stage,
        System,
        TestGate,
    )
    from harness.thresholds import Threshold, parse_duration, parse_threshold

__version__ = "0.1.0"

_HOMES = {
    "ConfigError": "errors",
    "ContractError": "errors",
    "Deployment": "environments.base",
    "Environment": "environments.base",
    "EnvironmentError_": "errors",
    "HarnessError": "errors",
    "Layer": "layers",
    "LoadError": "errors",
    "LoadSettings": "model",
    "LocalEnvironment": "environments.local",
    "Pipeline": "model",
    "Schedule": "model",
    "Service": "model",
    "Stage": "model",
    "System": "model",
    "TestGate": "model",
    "Threshold": "thresholds",
    "load_pipeline": "config",
    "load_system": "config",
    "parse_duration": "thresholds",
    "parse_threshold": "thresholds",
}

__all__ = [
    "ConfigError",
    "ContractError",
    "Deployment",
    "Environment",
    "EnvironmentError_",
    "HarnessError",
    "Layer",
    "LoadError",
    "LoadSettings",
    "LocalEnvironment",
    "Pipeline",
    "Schedule",
    "Service",
    "Stage",
    "System",
    "TestGate",
    "Threshold",
    "load_pipeline",
    "load_system",
    "parse_duration",
    "parse_threshold",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
