"""How much the harness's pytest plugins add to a large unit layer.

Generates 5,000 trivial unit tests (50 files under ``suites/unit/``) in a
temporary folder and times ``python -m pytest -q`` on them with the
harness plugins disabled and enabled, interleaved, keeping the best of N
runs of each. The target is a ratio of at most 1.05.

Run with the interpreter that has cd-harness installed::

    .venv/bin/python benchmarks/plugin_overhead.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

FILES = 50
TESTS_PER_FILE = 100
TARGET = 1.05
BASE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
DISABLED = ["-p", "no:harness", "-p", "no:harness-contracts", "-p", "no:harness-load"]


def generate(root: Path) -> None:
    unit = root / "suites" / "unit"
    unit.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    for module in range(FILES):
        tests = "\n\n".join(
            f"def test_case_{module:02d}_{case:03d}():\n    assert {case} >= 0\n"
            for case in range(TESTS_PER_FILE)
        )
        (unit / f"test_generated_{module:02d}.py").write_text(tests)


def timed(root: Path, extra: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [*BASE, *extra], cwd=root, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    expected = f"{FILES * TESTS_PER_FILE} passed"
    if result.returncode != 0 or expected not in result.stdout:
        sys.exit(
            f"pytest {' '.join(extra) or '(plugins enabled)'} did not pass all "
            f"tests (exit {result.returncode}):\n{result.stdout[-2000:]}"
            f"{result.stderr[-2000:]}"
        )
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each (N)")
    rounds = parser.parse_args().rounds

    print(f"python {platform.python_version()}, pytest {pytest.__version__}")
    print(f"{FILES * TESTS_PER_FILE} unit tests in {FILES} files, best of {rounds}")
    with tempfile.TemporaryDirectory(prefix="cdh-bench-") as folder:
        root = Path(folder)
        generate(root)
        timed(root, DISABLED)  # warm the bytecode and file caches

        disabled: list[float] = []
        enabled: list[float] = []
        for round_ in range(rounds):
            # Alternate which goes first so drift affects both alike.
            order = [(DISABLED, disabled), ([], enabled)]
            for extra, times in order if round_ % 2 == 0 else reversed(order):
                times.append(timed(root, extra))
            print(
                f"  round {round_ + 1}: disabled {disabled[-1]:.2f}s, "
                f"enabled {enabled[-1]:.2f}s"
            )

    best_off, best_on = min(disabled), min(enabled)
    ratio = best_on / best_off
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"plugins disabled: {best_off:.2f}s")
    print(f"plugins enabled:  {best_on:.2f}s")
    print(f"ratio: {ratio:.3f} ({verdict} the target of {TARGET:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
