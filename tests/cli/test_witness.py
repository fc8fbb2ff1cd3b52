"""`credo witness`: its key on first run, its options, and the real server end to end, with
concurrent clients of a forked log over real HTTP connections."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.tlog.cosignature import Cosignature, CosignatureVerifier
from credo.tlog.note import parse_note
from credo.witness.service import origin_hash
from tests.witness.conftest import LOG_SIGNER, ORIGIN, FakeLog

runner = CliRunner()
LOG_OPTION = f"{ORIGIN}={LOG_SIGNER.verifier_key()}"


def test_show_key_creates_the_key_once(tmp_path: Path) -> None:
    data = tmp_path / "w"
    first = runner.invoke(app, ["witness", "--data", str(data), "--name", "w.test/a", "--show-key"])
    assert first.exit_code == 0, first.output
    vkey = first.stdout.strip().splitlines()[-1]
    assert CosignatureVerifier.from_vkey(vkey).name == "w.test/a"
    assert stat.S_IMODE((data / "witness.pem").stat().st_mode) == 0o600
    again = runner.invoke(app, ["witness", "--data", str(data), "--show-key"])
    assert again.stdout.strip().splitlines()[-1] == vkey


def credo(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run(["credo", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give at least one --log"),
        (["--log", "no-equals-sign"], "expected ORIGIN=VKEY"),
        (["--log", f"{ORIGIN}=not-a-vkey"], "verifier key"),
    ],
)
def test_bad_options_are_messages_not_tracebacks(
    tmp_path: Path, args: list[str], message: str
) -> None:
    r = credo("witness", "--data", str(tmp_path / "w"), *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running `credo witness`; yields its URL and its vkey."""
    port = free_port()
    out = (tmp_path / "witness.log").open("wb")
    proc = subprocess.Popen(
        [
            "credo",
            "witness",
            "--data",
            str(tmp_path / "w"),
            "--port",
            str(port),
            "--log",
            LOG_OPTION,
        ],
        stdout=subprocess.PIPE,
        stderr=out,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        vkey = proc.stdout.readline().decode().strip()  # printed before it serves
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "witness.log").read_text()
            try:
                httpx.get(f"{url}/evidence", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "credo witness did not start"
                time.sleep(0.05)
        yield url, vkey
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        out.close()


@pytest.mark.slow
def test_real_server_cosigns_and_never_forks_under_concurrency(server: tuple[str, str]) -> None:
    url, vkey = server
    verifier = CosignatureVerifier.from_vkey(vkey)
    histories = [FakeLog(48), FakeLog(48, tag="b", fork_at=5)]
    cosigned: dict[int, set[bytes]] = {}
    lock = threading.Lock()

    def client(i: int) -> None:
        log, known = histories[i % 2], 0
        with httpx.Client(timeout=30) as http:
            for step in range(12):
                size = min(known + 1 + (i + step) % 4, 48)
                r = http.post(f"{url}/add-checkpoint", content=log.body(known, size))
                if r.status_code == 200:
                    sig = parse_note(b"x\n\n" + r.content).signatures[0]
                    text = parse_note(log.checkpoint(size)).text
                    verifier.verify(text, Cosignature.from_note_signature(sig))
                    with lock:
                        cosigned.setdefault(size, set()).add(log.root(size))
                    known = size
                elif r.status_code == 409:
                    assert r.headers["content-type"] == "text/x.tlog.size"
                    known = int(r.content)
                else:
                    assert r.status_code == 422, r.text
                    known = 0

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cosigned
    assert all(len(roots) == 1 for roots in cosigned.values()), cosigned
    latest = httpx.get(f"{url}/{origin_hash(ORIGIN)}/checkpoint", timeout=30)
    assert latest.status_code == 200
    note = parse_note(latest.content)
    assert [s.name for s in note.signatures] == [ORIGIN, verifier.name]
