"""The harness's error tree.

Every error a user can cause by what they wrote is a :class:`HarnessError`:
the CLI prints its message as one line and exits with code 2. Failures of the
system under test are not errors; they are failed gates (exit code 1).

::

    HarnessError
    ├── ConfigError        a system or pipeline file is wrong (file:line)
    ├── ContractError      a pact file cannot be read or served
    ├── EnvironmentError_  services could not be started or reached
    └── LoadError          a load run could not be set up
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error caused by the harness's input or surroundings."""


class ConfigError(HarnessError):
    """A system or pipeline file is malformed.

    Args:
        source: the file, as the user wrote it.
        line: 1-based line of the offending node, or None when unknown.
        problem: what is wrong.
        fix: what would fix it.
    """

    def __init__(
        self, source: str, line: int | None, problem: str, fix: str = ""
    ) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        self.fix = fix
        where = f"{source}:{line}" if line else source
        message = f"{where}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class ContractError(HarnessError):
    """A pact file is malformed or cannot be served."""


class EnvironmentError_(HarnessError):  # noqa: N801 - avoid shadowing the builtin
    """Services could not be started, reached or torn down."""


class LoadError(HarnessError):
    """A load run could not be set up or its results could not be read."""
