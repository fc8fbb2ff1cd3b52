"""Real witnesses for end-to-end runs: `credo witness` processes on loopback, the policy
that adopts them, and its adoption by the consortium's governance. Used by
tests/e2e/test_quorum.py and bench/bench_witnessing.py; nothing here measures time."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from credo.client import MemberClient
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from tests.conftest import ORIGIN
from tests.e2e._server import Server, free_port

DEADLINE = 120.0


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


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def start_witnesses(root: Path, log: Server, count: int = 3) -> list[WitnessProcess]:
    """``count`` witnesses of ``log``, started (``stop()`` each one after, started or not)."""
    vkey = httpx.get(f"{log.url}/log/vkey", timeout=10).text.strip()
    witnesses = [WitnessProcess(root, f"w{i}.test", vkey) for i in range(count)]
    try:
        for w in witnesses:
            w.start()
    except BaseException:
        for w in witnesses:
            w.stop()
        raise
    return witnesses


def two_of_three(witnesses: list[WitnessProcess]) -> str:
    """The C2SP tlog-policy naming three witnesses, of which any two make a quorum."""
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
