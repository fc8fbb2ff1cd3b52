"""Real `credo witness` processes for end-to-end tests, and the governance that adopts them:
shared by the quorum test (tests/e2e/test_quorum.py) and the portal's browser check of it
(tests/e2e/test_portal_quorum.py)."""

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
from tests.e2e._server import Server, free_port

DEADLINE = 120.0
QUORUM = "credo-witness-quorum"


class WitnessProcess:
    """One `credo witness` on a fixed port, which may be stopped and started again."""

    def __init__(self, root: Path, name: str, log_vkey: str) -> None:
        self.data = root / name
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    *("credo", "witness", "--data", str(self.data)),
                    *("--port", str(self.port), "--log", self.log_option),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
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


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
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
