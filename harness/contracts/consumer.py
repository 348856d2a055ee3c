"""Consumer-side pacts: recorded per test, published whole into the contracts dir.

Two things go wrong with pact-python's own ``Pact.write_file`` in a pipeline:

- it merges into the file already there, so an interaction a consumer test
  no longer declares lingers in the contract for ever;
- it rewrites the file in place, while the integration stage (running in
  parallel with the contract stage) may be reading it to serve stubs.

:class:`PactRecorder` therefore merges each passing test's pact into a
private staging folder that starts empty every session, and
:meth:`PactRecorder.publish` moves finished files into the contracts folder
with :func:`os.replace`, which readers see either whole-old or whole-new.
A pair with a failed consumer test is not published: the committed contract
stays as it was, and the contract stage fails on the test itself.

Example::

    recorder = PactRecorder(Path("contracts"))
    pact = recorder.new_pact("orders", "catalog")
    ...  # declare interactions, exercise them under pact.serve()
    recorder.record(pact, passed=True)
    recorder.publish()  # contracts/orders-catalog.json, atomically
    recorder.close()
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pact import Pact

log = logging.getLogger(__name__)


class PactRecorder:
    """Collects one session's consumer pacts and publishes them atomically.

    Args:
        contracts_dir: where published pact files go (created if missing).
        specification: the Pact specification version pacts are written in.
    """

    def __init__(self, contracts_dir: Path, specification: str = "V4") -> None:
        self.contracts_dir = contracts_dir
        self.specification = specification
        self._staging = Path(tempfile.mkdtemp(prefix="cdh-pact-staging-"))
        self._staged: set[tuple[str, str]] = set()
        self._failed: set[tuple[str, str]] = set()
        self._published: set[tuple[str, str]] = set()

    def new_pact(self, consumer: str, provider: str) -> Pact:
        """A fresh, empty pact between ``consumer`` and ``provider``."""
        return Pact(consumer, provider).with_specification(self.specification)

    def record(self, pact: Pact, *, passed: bool) -> None:
        """Keep ``pact``'s interactions if the test that declared them passed.

        A failed test marks its pair as failed; the pair is then never
        published this session.
        """
        pair = (pact.consumer, pact.provider)
        if not passed:
            if pair not in self._failed:
                log.warning(
                    "a consumer test of %s → %s failed; its pact will not be published",
                    *pair,
                )
            self._failed.add(pair)
            return

        # The staging folder started empty this session, so merging here
        # only ever combines this session's interactions.
        pact.write_file(self._staging, overwrite=False)
        self._staged.add(pair)

    def publish(self) -> list[Path]:
        """Move every fully passing pair's pact into the contracts folder.

        Safe to call more than once (e.g. after each test module): each call
        republishes the pairs recorded so far, each file replaced atomically.

        Returns:
            The published files.
        """
        ready = sorted(self._staged - self._failed)
        if not ready:
            return []

        self.contracts_dir.mkdir(parents=True, exist_ok=True)
        # Inside the target folder so os.replace never crosses file systems;
        # its name is hidden and has no .json suffix, so readers skip it.
        landing = Path(tempfile.mkdtemp(prefix=".cdh-tmp-", dir=self.contracts_dir))
        published = []
        try:
            for consumer, provider in ready:
                name = f"{consumer}-{provider}.json"
                text = (self._staging / name).read_text(encoding="utf-8")
                temporary = landing / name
                with temporary.open("w", encoding="utf-8") as handle:
                    handle.write(text if text.endswith("\n") else text + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                target = self.contracts_dir / name
                os.replace(temporary, target)
                published.append(target)
                if (consumer, provider) not in self._published:
                    log.info("published pact %s", target)
                self._published.add((consumer, provider))
        finally:
            shutil.rmtree(landing, ignore_errors=True)
        return published

    @property
    def failed_pairs(self) -> list[tuple[str, str]]:
        """``(consumer, provider)`` pairs held back by a failed test."""
        return sorted(self._failed)

    def close(self) -> None:
        """Delete the staging folder (published files stay)."""
        shutil.rmtree(self._staging, ignore_errors=True)


FAILED_PAIRS = "failed-pairs.json"


def write_failed_pairs(recorder: PactRecorder, folder: Path) -> None:
    """Leave ``recorder``'s failed pairs in ``folder`` for :func:`merge_workers`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FAILED_PAIRS).write_text(
        json.dumps([list(pair) for pair in recorder.failed_pairs]), encoding="utf-8"
    )


def merge_workers(exchange: Path, contracts_dir: Path) -> list[Path]:
    """Merge the pacts pytest-xdist workers wrote into ``contracts_dir``.

    Several processes writing one pact file through pact-ffi lose
    interactions, so each worker publishes into its own folder under
    ``exchange`` and the controller merges: the union of every worker's
    interactions per pair, in pact-ffi's order (by description, then
    states), each file replaced atomically. A pair that failed on any worker
    is not published.

    Returns:
        The published files.
    """
    failed: set[tuple[str, str]] = set()
    documents: dict[str, dict[str, Any]] = {}
    for worker in sorted(p for p in exchange.iterdir() if p.is_dir()):
        marker = worker / FAILED_PAIRS
        if marker.is_file():
            failed |= {(str(c), str(p)) for c, p in json.loads(marker.read_text())}
        for path in sorted(worker.glob("*.json")):
            if path.name == FAILED_PAIRS:
                continue
            document = json.loads(path.read_text(encoding="utf-8"))
            merged = documents.setdefault(path.name, document)
            if merged is not document:
                merged["interactions"] = (
                    merged["interactions"] + document["interactions"]
                )

    published = []
    contracts_dir.mkdir(parents=True, exist_ok=True)
    for name, document in sorted(documents.items()):
        pair = (document["consumer"]["name"], document["provider"]["name"])
        if pair in failed:
            log.warning(
                "a consumer test of %s → %s failed on a worker; not published", *pair
            )
            continue
        document["interactions"] = _unique_sorted(document["interactions"])
        target = contracts_dir / name
        landing = target.with_name(f".cdh-tmp-{os.getpid()}-{name}.part")
        landing.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(landing, target)
        published.append(target)
        log.info("published pact %s merged from xdist workers", target)
    return published


def _unique_sorted(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for interaction in interactions:
        states = json.dumps(interaction.get("providerStates", []), sort_keys=True)
        unique.setdefault(
            (str(interaction.get("description", "")), states), interaction
        )
    return [unique[key] for key in sorted(unique)]
