"""`credo mirror` as a command against a fake log over real HTTP: its refusals are one clear
message and a non-zero exit (1 for what did not verify), never a traceback, with nothing of
the bad data kept; a rewritten history leaves evidence; a following mirror stops when the
log stops verifying."""

from __future__ import annotations

import http.server
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.tlog import CosignatureSigner, NoteSigner, entries_path, tile_path
from tests.cli.test_cli import assert_clean_failure
from tests.e2e._server import free_port
from tests.mirror.conftest import LOG_SIGNER, FakeLog, fixed_key

VKEY = LOG_SIGNER.verifier_key()


class Served:
    """A fake log behind a real HTTP server; ``log`` may be replaced while it runs."""

    def __init__(self, log: FakeLog) -> None:
        self.log = log
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                r = served.log.handle(httpx.Request("GET", "http://log.test" + self.path))
                self.send_response(r.status_code)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served() -> Iterator[Served]:
    s = Served(FakeLog().append(3001))
    s.log.publish()
    yield s
    s.close()


def credo(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run(["credo", *args], capture_output=True, text=True, env=env, timeout=120)


def mirror_once(served: Served, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return credo("mirror", "--url", served.url, "--data", str(data), "--once", *extra)


def verified_size(data: Path) -> int | None:
    conn = sqlite3.connect(data / "mirror.db")
    try:
        row = conn.execute("SELECT size FROM checkpoints WHERE role = 'verified'").fetchone()
    finally:
        conn.close()
    return None if row is None else int(row[0])


def test_the_log_key_must_be_given_and_well_formed(served: Served, tmp_path: Path) -> None:
    missing = mirror_once(served, tmp_path / "m")
    assert missing.returncode == 2
    assert "--log-key" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = mirror_once(served, tmp_path / "m", "--log-key", "not-a-vkey")
    assert bad.returncode == 2
    assert_clean_failure(bad, "verifier key")


def test_a_copy_is_verified_and_kept(served: Served, tmp_path: Path) -> None:
    done = mirror_once(served, tmp_path / "m", "--log-key", VKEY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 3001 entries of log.test/mirrored")
    assert verified_size(tmp_path / "m") == 3001


def test_a_log_serving_another_key_is_refused(served: Served, tmp_path: Path) -> None:
    other = NoteSigner(LOG_SIGNER.name, fixed_key(77)).verifier_key()
    done = mirror_once(served, tmp_path / "m", "--log-key", other)
    assert done.returncode == 1
    assert_clean_failure(done, "verification failed", "serves the verifier key")
    assert verified_size(tmp_path / "m") is None


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (tile_path(0, 4), "tile/0/004 does not verify"),
        (entries_path(6), "tile/entries/006 does not verify"),
        (tile_path(1, 0, 11), "right-edge tiles"),
    ],
)
def test_a_tampered_tile_or_bundle_is_named_and_nothing_kept(
    served: Served, tmp_path: Path, path: str, named: str
) -> None:
    served.log.overrides[path] = lambda d: d[:-1] + bytes([d[-1] ^ 0x80])
    done = mirror_once(served, tmp_path / "m", "--log-key", VKEY)
    assert done.returncode == 1
    assert_clean_failure(done, "verification failed", named)
    assert verified_size(tmp_path / "m") is None


def test_a_tampered_checkpoint_is_refused(served: Served, tmp_path: Path) -> None:
    served.log.note = served.log.note.replace(b"\n3001\n", b"\n3000\n")
    done = mirror_once(served, tmp_path / "m", "--log-key", VKEY)
    assert done.returncode == 1
    assert_clean_failure(done, "does not verify with the pinned log key")
    assert verified_size(tmp_path / "m") is None


def test_a_checkpoint_short_of_the_pinned_quorum_is_refused(served: Served, tmp_path: Path) -> None:
    cosigner = CosignatureSigner("w.test", fixed_key(3))  # a witness that never cosigns
    policy = tmp_path / "policy"
    policy.write_text(f"witness w {cosigner.verifier_key()}\nquorum w\n")
    done = mirror_once(served, tmp_path / "m", "--log-key", VKEY, "--policy", str(policy))
    assert done.returncode == 1
    assert_clean_failure(done, "does not meet the witness quorum")
    assert verified_size(tmp_path / "m") is None


def test_a_rewritten_history_is_refused_and_kept_as_evidence(
    served: Served, tmp_path: Path
) -> None:
    data = tmp_path / "m"
    assert mirror_once(served, data, "--log-key", VKEY).returncode == 0
    served.log = served.log.fork(2000, 3500)
    done = mirror_once(served, data, "--log-key", VKEY)
    assert done.returncode == 1
    assert_clean_failure(done, "rewrote its history", "Evidence kept in")
    (evidence,) = (data / "evidence").iterdir()
    assert (evidence / "served.checkpoint").read_bytes() == served.log.note
    assert verified_size(data) == 3001


def test_a_following_mirror_stops_when_the_log_stops_verifying(
    served: Served, tmp_path: Path
) -> None:
    data = tmp_path / "m"
    port = free_port()
    out = (tmp_path / "mirror.log").open("wb")
    proc = subprocess.Popen(
        [
            *("credo", "mirror", "--url", served.url, "--data", str(data), "--log-key", VKEY),
            *("--port", str(port), "--interval", "0.1"),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "mirror.log").read_text()
            assert time.monotonic() < deadline
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/log/checkpoint", timeout=2)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert r.content == served.log.note
        served.log = served.log.fork(100, 3100)
        assert proc.wait(timeout=60) == 1
        said = (tmp_path / "mirror.log").read_text()
        assert "rewrote its history" in said
        assert "Traceback" not in said
        assert verified_size(data) == 3001
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


def test_a_following_mirror_without_a_copy_refuses_an_unreachable_log(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = credo("mirror", "--url", url, "--data", str(tmp_path / "m"), "--log-key", VKEY)
    assert done.returncode == 2
    assert_clean_failure(done, "log_unavailable")
