from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contracts.stub import ContractStubs


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    folder = tmp_path / "contracts"
    folder.mkdir()
    return folder


@pytest.fixture
def stubs(contracts: Path) -> Iterator[ContractStubs]:
    with ContractStubs(contracts) as served:
        yield served


@pytest.fixture
def contract_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="harness.contracts")
    return caplog
