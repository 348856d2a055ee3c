"""cd-harness: a repository's test pyramid as a gated delivery pipeline.

The public surface: the model a pipeline is made of, the config loaders,
the environment interface and the error tree. The pytest plugin
(:mod:`harness.plugin`) and the ``cdh`` command build on these.
"""

from __future__ import annotations

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
from harness.model import LoadSettings, Pipeline, Schedule, Service, Stage, System
from harness.thresholds import Threshold, parse_duration, parse_threshold

__version__ = "0.1.0"

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
    "Threshold",
    "load_pipeline",
    "load_system",
    "parse_duration",
    "parse_threshold",
]
