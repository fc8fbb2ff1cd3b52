"""Real `credo witness` processes for end-to-end tests, the governance that adopts them, and
what the quorum tests ask a log (its served checkpoint's quorum header, `credo verify --url`,
a member's client): shared by the quorum test (tests/e2e/test_quorum.py), the portal's
browser check of it (tests/e2e/test_portal_quorum.py) and the multi-host tests
(tests/e2e/test_multihost.py), where each witness listens on a host of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from credo.client import MemberClient
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.tlog import Checkpoint, parse_note
from tests.conftest import ORIGIN
from tests.e2e._server import Server, free_port, post_entries, signed_attestations

DEADLINE = 120.0
"""How long any wait polls before it fails: generous, since nothing here measures time."""
QUORUM = "credo-witness-quorum"


class WitnessProcess:
    """One `credo witness` on a fixed port, which may be stopped and started again."""

    def __init__(
        self,
        root: Path,
        name: str,
        log_vkey: str,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        prefix: Sequence[str] = (),
    ) -> None:
        """``host``/``port``: where it listens (default: a free port on 127.0.0.1);
        ``prefix``: put before its command (``ip netns exec NS``: on another host)."""
        self.data = root / name
        self.name = name
        self.host = host
        self.port = port or free_port()
        self.prefix = list(prefix)
        self.url = f"http://{host}:{self.port}"
        self.log_option = f"{ORIGIN}={log_vkey}"
        shown = subprocess.run(
            ["credo", "witness", "--data", str(self.data), "--name", name, "--show-key"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        self.vkey = shown.stdout.strip()
        self.log_path = root / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting for it to answer (`wait_ready`)."""
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    *self.prefix,
                    *("credo", "witness", "--data", str(self.data), "--host", self.host),
                    *("--port", str(self.port), "--log", self.log_option),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        until(self._answers, f"{self.name} did not start")

    def _answers(self) -> bool:
        assert self.proc is not None
        assert self.proc.poll() is None, self.log_path.read_text()
        try:
            return httpx.get(f"{self.url}/evidence", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None


@contextmanager
def running_witnesses(root: Path, log_url: str, count: int = 3) -> Iterator[list[WitnessProcess]]:
    """``count`` witnesses of the log at ``log_url`` (named w0.test, w1.test, ...), started,
    and all stopped on the way out."""
    vkey = httpx.get(f"{log_url}/log/vkey", timeout=10).text.strip()
    started = [WitnessProcess(root, f"w{i}.test", vkey) for i in range(count)]
    try:
        for w in started:
            w.start()
        yield started
    finally:
        for w in started:
            w.stop()


def until(
    condition: Callable[[], bool], what: str | Callable[[], str], deadline: float = DEADLINE
) -> None:
    """Poll ``condition`` every 0.1 s until it holds; fail with ``what`` past ``deadline``
    (a callable is asked then, so the message tells the state at the failure)."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, what() if callable(what) else what
        time.sleep(0.1)


def two_of_three(witnesses: Sequence[WitnessProcess]) -> str:
    """A C2SP tlog-policy: the witnesses as W0, W1, W2 and a quorum of any two of them."""
    lines = [f"witness W{i} {w.vkey} {w.url}" for i, w in enumerate(witnesses)]
    return "\n".join([*lines, "group two-of-three 2 W0 W1 W2", "quorum two-of-three", ""])


def governance(log: Server, policy: str) -> None:
    """The operator proposes the witness policy; the two voters adopt it."""
    data = DataDir(log.data)

    def member(member_id: str) -> MemberClient:
        return MemberClient(log.url, member_id, MemberKey.load(data.member_key(member_id)))

    with member("operator") as op:
        op.submit(
            "governance.propose",
            {"id": "witnesses-1", "action": "adopt_witness_policy", "params": {"policy": policy}},
        )
    for voter in ("operator", "watch"):
        with member(voter) as m:
            m.submit("governance.vote", {"proposal": "witnesses-1", "vote": "yes"})


def served(log: Server) -> tuple[int, str | None]:
    """The size of the checkpoint /log/checkpoint serves, and its quorum header."""
    r = httpx.get(f"{log.url}/log/checkpoint", timeout=10)
    size = Checkpoint.from_text(parse_note(r.content).text).size
    return size, r.headers.get(QUORUM)


def gauge(log: Server) -> str:
    """The served quorum gauge's line of /metrics."""
    text = httpx.get(f"{log.url}/metrics", timeout=10).text
    return next(line for line in text.splitlines() if line.startswith("credo_witness_quorum_met "))


def verify(log: Server, *extra: str) -> subprocess.CompletedProcess[str]:
    """`credo verify --url` of the log, as a stranger."""
    return subprocess.run(
        ["credo", "verify", "--url", log.url, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def append(log: Server, tag: str) -> int:
    """Submit two entries (accepted, whatever the witnesses do); the log's size after."""
    key = MemberKey.load(DataDir(log.data).member_key("uni"))
    with httpx.Client() as http:
        indexes = post_entries(
            http, log.url, [e for e, _ in signed_attestations(key, "uni", tag, 2)]
        )
    return indexes[-1] + 1


def export(index: int) -> dict[str, object]:
    """The least export `verify_export` checks: one entry and its kind, no metadata."""
    return {"entries": [{"index": index, "kind": "attestation.issue"}]}


def reader(log: Server) -> MemberClient:
    """A member's client of the log, which checks each checkpoint's quorum."""
    return MemberClient(log.url, "uni", MemberKey.load(DataDir(log.data).member_key("uni")))
