"""Real servers for end-to-end tests: `credo serve` as a subprocess on a free port, and helpers.

Each server runs in its own process group, so a SIGKILL takes the validation workers down
with it, as a power cut would.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

import httpx

from credo.ledger.dsse import encode_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.services.node import admit_member, init_consortium
from credo.tlog import Checkpoint, NoteVerifier, decode_entry_bundle, entries_path, open_checkpoint
from tests.conftest import MEMBERS, ORIGIN

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_consortium(root: Path, store_url: str | None = None) -> Path:
    """The same consortium as the shared ``data_dir`` fixture, at ``root`` (its store at
    ``store_url``, a PostgreSQL URL, if given)."""
    ledger = init_consortium(root, ORIGIN, store_url=store_url)
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(ledger, member_id, name, sector, roles)
    finally:
        ledger.close()
    return root


class Server:
    """One `credo serve --workers 1 --processes 1` process (unless told otherwise); always
    `stop()` it in a ``finally``."""

    def __init__(
        self,
        data: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        *,
        workers: int = 1,
        processes: int = 1,
        port: int | None = None,
        host: str = "127.0.0.1",
        prefix: Sequence[str] = (),
        args: Sequence[str] = (),
    ) -> None:
        """``env``: CREDO_* settings for this server, on top of the test's environment;
        ``workers``: validation processes (0 validates in the server: the fastest start);
        ``processes``: serving processes sharing the port (`credo serve --processes`);
        ``host``: the address to listen on; ``prefix``: put before the command (``ip netns
        exec NS`` runs it on another host, tests/e2e/_netns.py); ``args``: more options."""
        self.data = data
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                *prefix,
                *("credo", "serve", "--data", str(data), "--workers", str(workers)),
                *("--processes", str(processes)),
                *("--host", host, "--port", str(self.port), *args),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if env is None else os.environ | env,
        )
        self.log_path = log_path

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"credo serve exited with {self.proc.returncode}: {self.output()}"
                )
            try:
                if httpx.get(f"{self.url}/log/checkpoint", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"credo serve did not start in {STARTUP_TIMEOUT} s: {self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL the server and its workers at once (its own process group)."""
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP the server's group: frozen, as by a long pause of its machine, with its
        sockets and database connections still open."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused server: it carries on from where it was frozen."""
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                os.killpg(self.proc.pid, signal.SIGCONT)  # a paused server hears it too
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()
        else:
            # The server is gone; make sure no orphaned worker of its group lingers.
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


def signed_attestations(
    key: MemberKey, by: str, tag: str, count: int
) -> list[tuple[dict[str, object], bytes]]:
    """``count`` attestation.issue envelopes: (the JSON to submit, the bytes the log stores)."""
    out = []
    for i in range(count):
        digest = hashlib.sha256(f"{tag}-{i}".encode()).hexdigest()
        body = {"digest": f"sha256:{digest}", "doc_type": "diploma"}
        env = make_envelope("attestation.issue", by, body, [key])
        out.append((envelope_json(env), encode_envelope(env)))
    return out


def post_entries(http: httpx.Client, url: str, envelopes: list[dict[str, object]]) -> list[int]:
    """Submit a batch that must be accepted whole; its log indexes."""
    r = http.post(f"{url}/v1/entries", json={"entries": envelopes}, timeout=60)
    assert r.status_code == 200, r.text[:500]
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["accepted"] * len(envelopes)
    return [int(x["index"]) for x in results]


def fetch_checkpoint(http: httpx.Client, url: str) -> tuple[bytes, Checkpoint]:
    """The latest checkpoint note, opened with the log's published verifier key."""
    vkey = http.get(f"{url}/log/vkey", timeout=10).text.strip()
    note = http.get(f"{url}/log/checkpoint", timeout=10).content
    return note, open_checkpoint(note, NoteVerifier.from_vkey(vkey), ORIGIN)


def fetch_all_entries(http: httpx.Client, url: str, size: int) -> list[bytes]:
    """Every entry below ``size``, read through the C2SP entry bundles."""
    entries: list[bytes] = []
    for n in range(-(-size // 256)):
        width = min(256, size - 256 * n)
        r = http.get(f"{url}/log/{entries_path(n, width)}", timeout=30)
        assert r.status_code == 200, (n, width, r.text[:300])
        bundle = decode_entry_bundle(r.content)
        assert len(bundle) == width
        entries.extend(bundle)
    return entries
