"""Stub providers served from their consumers' pacts, on 127.0.0.1 only.

The integration layer talks to a service's dependencies through stubs: for a
provider, the pacts its consumers wrote are loaded into the Pact mock server
(``pact mock`` from pact-python-cli), which answers every request a pact
describes with the response it promises, as often as asked.

``pact stub`` would listen on every interface, so it is not used. Instead one
``pact mock start`` master listens on 127.0.0.1, and each ``pact mock create``
adds a mock server that the master binds to the same address. Every address
handed out is checked to be 127.0.0.1 before it is used.

Where several interactions share a request and differ only in provider state
(a product exists, a product does not), ask for a state: the stub then serves
a copy of the pact holding the interactions given that state and those given
none. Without a state, the first interaction in file order answers.

Message interactions cannot be served over HTTP; they are left out with a log
note.

Example::

    with ContractStubs(Path("contracts")) as stubs:
        url = stubs.url("catalog", consumer="orders", state="product 1 exists")
        requests.get(f"{url}/products/1")
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from harness.contracts import pactfile
from harness.contracts.pactfile import PactFile
from harness.errors import ContractError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
CLI_TIMEOUT = 30.0
_CREATED = re.compile(r"Mock server (\w+) started on port (\d+)")
# Never let a proxy setting route loopback traffic elsewhere.
_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pact_binary() -> Path:
    """The ``pact`` command of pact-python-cli, beside this interpreter first.

    Raises:
        ContractError: pact-python-cli is not installed.
    """
    beside = Path(sysconfig.get_path("scripts")) / "pact"
    if beside.is_file():
        return beside
    found = shutil.which("pact")
    if found:
        return Path(found)
    raise ContractError(
        "the `pact` command was not found — install pact-python-cli into this "
        "environment (pip install pact-python-cli)"
    )


def stub_document(pacts: list[PactFile], state: str | None = None) -> dict[str, Any]:
    """One pact document to serve for ``pacts``, narrowed to ``state``.

    Args:
        pacts: pacts of one provider (usually one file; several consumers'
            pacts are merged when they share a specification version).
        state: keep only interactions given this state or given none.

    Raises:
        ContractError: the pacts mix specification versions, the state is
            named by no interaction, or nothing servable is left.
    """
    names = ", ".join(str(p.path) for p in pacts)
    majors = {p.spec_major for p in pacts}
    if len(majors) > 1:
        raise ContractError(
            f"{names}: pacts of different specification versions cannot share "
            "one stub — pass consumer= to choose one"
        )

    interactions: list[dict[str, Any]] = []
    for pact in pacts:
        skipped = pact.message_interactions
        if skipped:
            log.info(
                "skipping %d message interaction(s) in %s: a stub serves HTTP only",
                len(skipped),
                pact.path,
            )
        interactions.extend(pact.http_interactions)

    if state is not None:
        known = {s for p in pacts for s in p.states()}
        if state not in known:
            listed = ", ".join(repr(s) for s in sorted(known)) or "none"
            raise ContractError(
                f"{names}: no interaction is given provider state {state!r} "
                f"(states: {listed}) — check the spelling against the consumer test"
            )
        interactions = [
            i
            for i in interactions
            if not pactfile.state_names(i) or state in pactfile.state_names(i)
        ]

    if not interactions:
        raise ContractError(
            f"{names}: no HTTP interactions to serve — the pact holds only messages"
        )
    _warn_on_shadowed(interactions, names)
    return pacts[0].with_interactions(interactions)


def _warn_on_shadowed(interactions: list[dict[str, Any]], names: str) -> None:
    first_by_request: dict[str, dict[str, Any]] = {}
    for interaction in interactions:
        request = interaction.get("request", {})
        key = json.dumps(
            [
                str(request.get("method", "")).upper(),
                request.get("path"),
                request.get("query"),
                request.get("body"),
            ],
            sort_keys=True,
        )
        first = first_by_request.setdefault(key, interaction)
        if pactfile.state_names(first) != pactfile.state_names(interaction):
            log.warning(
                "%s: %s is answered by %s; pass state= to choose",
                names,
                pactfile.describe(interaction),
                pactfile.describe(first),
            )


class ContractStubs:
    """A set of stub providers sharing one ``pact mock`` master process.

    The master starts on first use and is stopped by :meth:`close` (its whole
    process group). Stubs are cached by provider, consumer, state and the
    pact files' contents, so asking twice gives the same URL.

    Args:
        contracts_dir: the folder of pact files.
    """

    def __init__(self, contracts_dir: Path) -> None:
        self.contracts_dir = contracts_dir
        self._work_dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._port = 0
        self._urls: dict[tuple[object, ...], str] = {}

    def __enter__(self) -> ContractStubs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The master process's pid while it runs (its mock servers live in it)."""
        return self._process.pid if self._process else None

    def url(
        self, provider: str, *, consumer: str | None = None, state: str | None = None
    ) -> str:
        """The base URL of a stub of ``provider`` built from its pacts.

        Args:
            provider: the provider's name as the pacts spell it.
            consumer: only this consumer's pact; all consumers' when None.
            state: the provider state the stub plays (see the module doc).

        Raises:
            ContractError: no pact matches, a pact is malformed, or the mock
                server refused it.
        """
        pacts = pactfile.select(self.contracts_dir, provider, consumer)
        key = (provider, consumer, state, *(_fingerprint(p.path) for p in pacts))
        if key in self._urls:
            return self._urls[key]

        document = stub_document(pacts, state)
        work_dir = self._ensure_started()
        path = work_dir / f"stub-{len(self._urls)}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        url = self._create(path, pacts)
        self._urls[key] = url
        log.info(
            "stub of %s for %s (state %r) at %s",
            provider,
            consumer or "all consumers",
            state,
            url,
        )
        return url

    def close(self) -> None:
        """Stop the master process group and delete the temporary pacts."""
        process, self._process = self._process, None
        if process is not None:
            _stop_group(process)
            log.info("stopped pact mock master pid %d", process.pid)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None
        self._urls.clear()

    def _ensure_started(self) -> Path:
        if self._process is not None and self._work_dir is not None:
            if self._process.poll() is None:
                return self._work_dir
            raise ContractError(
                f"the pact mock master (pid {self._process.pid}) exited with "
                f"code {self._process.returncode} — see {self._work_dir}/master.log"
            )

        self._work_dir = Path(tempfile.mkdtemp(prefix="cdh-stubs-"))
        binary = pact_binary()
        for _attempt in range(3):
            # A free port can be taken between probing and binding; retry then.
            self._port = _free_port()
            self._spawn(binary, self._work_dir)
            if self._wait_ready():
                return self._work_dir
            assert self._process is not None
            _stop_group(self._process)
            self._process = None
        raise ContractError(
            f"the pact mock master did not start on {HOST} — see "
            f"{self._work_dir}/master.log"
        )

    def _spawn(self, binary: Path, work_dir: Path) -> None:
        if self._log_file is not None:
            self._log_file.close()
        self._log_file = (work_dir / "master.log").open("ab")
        out_dir = work_dir / "out"
        out_dir.mkdir(exist_ok=True)
        command = [
            str(binary),
            "mock",
            "start",
            "--host",
            HOST,
            "--port",
            str(self._port),
            "--output",
            str(out_dir),
            "--no-term-log",
            "--no-file-log",
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=work_dir,
            env=_loopback_env(),
            start_new_session=True,
        )
        log.info(
            "started pact mock master pid %d on %s:%d",
            self._process.pid,
            HOST,
            self._port,
        )

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                self._master_get("/")
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            return True
        return False

    def _master_get(self, path: str) -> Any:
        url = f"http://{HOST}:{self._port}{path}"
        for attempt in range(_MASTER_TRIES):
            try:
                with _LOOPBACK_OPENER.open(url, timeout=5) as response:
                    return json.loads(response.read())
            except ConnectionResetError:
                # The master now and then drops a connection without an
                # answer (seen about once in a hundred calls); its state is
                # unchanged, so asking again is safe.
                log.debug("pact mock master dropped %s (try %d)", path, attempt + 1)
                if attempt == _MASTER_TRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return None

    def _create(self, path: Path, pacts: list[PactFile]) -> str:
        names = ", ".join(str(p.path) for p in pacts)
        command = [
            str(pact_binary()),
            "mock",
            "create",
            "--file",
            str(path),
            "--host",
            HOST,
            "--port",
            str(self._port),
            "--no-term-log",
            "--no-file-log",
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=CLI_TIMEOUT,
                env=_loopback_env(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ContractError(
                f"{names}: `pact mock create` did not answer in {CLI_TIMEOUT:.0f}s"
            ) from None
        found = _CREATED.search(done.stdout + done.stderr)
        if done.returncode != 0 or found is None:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise ContractError(
                f"{names}: the Pact mock server refused the pact "
                f"({detail[-1] if detail else f'exit code {done.returncode}'})"
            )

        server_id, port = found.group(1), int(found.group(2))
        address = _listening_address(port)
        if address is None:  # no /proc: ask the master instead
            address = self._master_get(f"/mockserver/{server_id}").get("address", "")
        if address != f"{HOST}:{port}":
            raise ContractError(
                f"{names}: the mock server listens on {address!r}, not {HOST} — "
                "refusing to use it"
            )
        _wait_serving(port, names)
        return f"http://{HOST}:{port}"


def _wait_serving(port: int, names: str) -> None:
    """Return once the new mock server answers HTTP at all.

    On a busy host the first request can reach a mock server that is
    registered but not yet serving, and the connection is dropped.
    """
    deadline = time.monotonic() + START_TIMEOUT
    url = f"http://{HOST}:{port}/__cdh_ready__"
    while time.monotonic() < deadline:
        try:
            with _LOOPBACK_OPENER.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any status means it serves: the path is in no pact
        except OSError:
            time.sleep(0.05)
    raise ContractError(f"{names}: the stub on port {port} never answered")


_MASTER_TRIES = 8


def _listening_address(port: int) -> str | None:
    """``host:port`` of what listens on ``port``, from the kernel's tables.

    Returns None where /proc is not there (not Linux). Anything but exactly
    one IPv4 loopback listener reads as ``"0.0.0.0:port"`` or the like, so the
    caller refuses it.
    """
    found: set[str] = set()
    try:
        tables = [Path(f"/proc/net/{name}").read_text() for name in ("tcp", "tcp6")]
    except OSError:
        return None
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hexed_port = local.rsplit(":", 1)
            if state == "0A" and int(hexed_port, 16) == port:  # 0A: LISTEN
                found.add(_readable(address))
    if len(found) != 1:
        return f"{'+'.join(sorted(found)) or 'nothing'}:{port}"
    return f"{found.pop()}:{port}"


def _readable(hexed: str) -> str:
    raw = bytes.fromhex(hexed)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc prints IPv6 addresses as four little-endian 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def _fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _loopback_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, [env.get(name), HOST, "localhost"]))
    return env


def _stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("pact mock master pid %d ignored SIGTERM; killing", process.pid)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=grace)
