"""Issue 16, item 5, end to end: `credo mirror` copies a real `credo serve` log of a few
thousand entries (several full tiles and a partial) through its tiles, resumes after a
SIGKILL in the middle of the copy, serves the copy read-only so that `credo verify --url`
and Go's tlog client verify the mirror as they verify the log, and a member's mirror
cosigns what it verified with the member's witness key."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from credo.ledger.keys import MemberKey
from credo.mirror.app import create_mirror_app
from credo.mirror.store import DB_FILE, MirrorStore
from credo.services.node import DataDir
from credo.tlog import (
    CosignatureVerifier,
    NoteVerifier,
    entries_path,
    open_cosigned_checkpoint,
    parse_note,
    tile_path,
)
from tests.e2e._server import (
    Server,
    fetch_checkpoint,
    free_port,
    make_consortium,
    post_entries,
    signed_attestations,
)
from tests.e2e.test_go_client import run_goclient

ENTRIES = 3000  # and the consortium's own 5: 11 full tiles and a partial one of 189
DEADLINE = 120.0


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = make_consortium(tmp_path_factory.mktemp("mirrored") / "data")
    server = Server(root, root.parent / "server.log", workers=0)
    try:
        server.wait_ready()
        key = MemberKey.load(DataDir(root).member_key("uni"))
        with httpx.Client() as http:
            for batch in range(ENTRIES // 500):
                signed = signed_attestations(key, "uni", f"mirror-{batch}", 500)
                post_entries(http, server.url, [env for env, _ in signed])
        yield server
    finally:
        server.stop()


def vkey_of(log: Server) -> str:
    return httpx.get(f"{log.url}/log/vkey", timeout=10).text.strip()


def size_of(url: str) -> int:
    with httpx.Client() as http:
        return fetch_checkpoint(http, url)[1].size


def credo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run(
        ["credo", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


class MirrorProcess:
    """`credo mirror` serving on a free port; always `stop()` it."""

    def __init__(self, url: str, data: Path, vkey: str, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data.parent / f"{data.name}.log"
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    *("credo", "mirror", "--url", url, "--data", str(data)),
                    *("--log-key", vkey, "--port", str(self.port), "--interval", "0.2", *extra),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_size(self, size: int) -> bytes:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()
            with suppress(httpx.TransportError):
                r = httpx.get(f"{self.url}/log/checkpoint", timeout=2)
                if r.status_code == 200 and f"\n{size}\n".encode() in r.content:
                    return r.content
            time.sleep(0.1)
        raise AssertionError(f"the mirror never served size {size}: {self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


class SlowProxy:
    """A proxy in front of the log that answers each tile request after ``delay`` seconds
    and counts the paths asked for, so a copy lasts long enough to be killed midway."""

    def __init__(self, upstream: str, delay: float) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                if self.path.startswith("/log/tile/"):
                    time.sleep(delay)
                r = httpx.get(upstream + self.path, timeout=30)
                self.send_response(r.status_code)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_mirror_copies_the_log_and_verifies_like_it(log: Server, tmp_path: Path) -> None:
    vkey = vkey_of(log)
    size = size_of(log.url)
    assert size > 11 * 256
    done = credo(
        "mirror", "--url", log.url, "--data", str(tmp_path / "m"), "--log-key", vkey, "--once"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {size} entries of ")

    mirror = MirrorProcess(log.url, tmp_path / "m", vkey)
    try:
        note = mirror.wait_size(size)
        assert note == httpx.get(f"{log.url}/log/checkpoint").content
        # Every tile and bundle the same bytes, the same cache headers.
        with httpx.Client() as http:
            paths = [tile_path(0, i) for i in range(size // 256)]
            paths += [tile_path(0, size // 256, size % 256), tile_path(1, 0, size // 256)]
            paths += [entries_path(i) for i in range(size // 256)]
            paths += [entries_path(size // 256, size % 256)]
            for path in paths:
                ours, theirs = (
                    http.get(f"{mirror.url}/log/{path}"),
                    http.get(f"{log.url}/log/{path}"),
                )
                assert ours.status_code == theirs.status_code == 200, path
                assert ours.content == theirs.content, path
                assert ours.headers["cache-control"] == theirs.headers["cache-control"]
            past = http.get(f"{mirror.url}/log/{entries_path(size // 256 + 1, 1)}")
            assert past.status_code == 404
            assert past.json()["code"] == "no_tile"
            for method in ("POST", "PUT", "DELETE"):
                r = http.request(method, f"{mirror.url}/v1/entries", json={"entries": []})
                assert r.status_code == 405
                assert r.json()["code"] == "read_only"

        verified = credo("verify", "--url", mirror.url, "--log-vkey", vkey)
        assert verified.returncode == 0, verified.stderr
        assert verified.stdout.startswith(f"OK: {size} entries")

        # The log grows; the mirror follows.
        key = MemberKey.load(DataDir(log.data).member_key("uni"))
        with httpx.Client() as http:
            post_entries(http, log.url, [e for e, _ in signed_attestations(key, "uni", "more", 7)])
        mirror.wait_size(size + 7)
        assert credo("verify", "--url", mirror.url).returncode == 0
    finally:
        mirror.stop()


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")
def test_gos_tlog_client_verifies_the_mirror(log: Server, goclient: Path, tmp_path: Path) -> None:
    vkey = vkey_of(log)
    first = credo(
        "mirror", "--url", log.url, "--data", str(tmp_path / "m"), "--log-key", vkey, "--once"
    )
    assert first.returncode == 0, first.stderr
    mirror = MirrorProcess(log.url, tmp_path / "m", vkey)
    try:
        size = size_of(log.url)
        mirror.wait_size(size)
        old = httpx.get(f"{log.url}/log/checkpoint").content
        done = run_goclient(goclient, tmp_path, mirror.url, vkey, [0, 255, 256, size - 1], [old])
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["size"] == size
        assert out["consistent_from"] == [size]
    finally:
        mirror.stop()


def kept(data: Path) -> tuple[int | None, int | None, int]:
    """(verified size, pending size, entry bundles held) read straight from the file."""
    conn = sqlite3.connect(f"file:{data / 'mirror.db'}?mode=ro", uri=True)
    try:
        sizes = dict(conn.execute("SELECT role, size FROM checkpoints").fetchall())
        bundles = conn.execute("SELECT count(*) FROM bundles").fetchone()[0]
    finally:
        conn.close()
    return sizes.get("verified"), sizes.get("pending"), int(bundles)


def test_a_copy_killed_midway_resumes_from_what_it_had_verified(
    log: Server, tmp_path: Path
) -> None:
    vkey = vkey_of(log)
    size = size_of(log.url)
    proxy = SlowProxy(log.url, delay=0.15)
    data = tmp_path / "m"
    try:
        with (tmp_path / "killed.log").open("wb") as out:
            proc = subprocess.Popen(
                [
                    "credo",
                    "mirror",
                    "--url",
                    proxy.url,
                    "--data",
                    str(data),
                    "--log-key",
                    vkey,
                    "--once",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + DEADLINE
        while True:
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the copy never kept a bundle"
            if (data / "mirror.db").exists():
                with suppress(sqlite3.Error):
                    if kept(data)[2] >= 2:
                        break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        verified, pending, bundles = kept(data)
        assert verified is None  # nothing served: the copy had not verified the whole tree
        assert pending is not None
        assert 2 <= bundles < -(-size // 256)

        # What a mirror restarted on it would serve: nothing it had not verified.
        store = MirrorStore(data / DB_FILE).open()
        try:
            client = TestClient(create_mirror_app(store, vkey, policy_pinned=False))
            assert client.get("/log/checkpoint").status_code == 404
            assert client.get(f"/log/{entries_path(0)}").status_code == 404
        finally:
            store.close()

        proxy.requests.clear()
        again = credo(
            "mirror", "--url", proxy.url, "--data", str(data), "--log-key", vkey, "--once"
        )
        assert again.returncode == 0, again.stderr
        fetched = [p for p in proxy.requests if p.startswith("/log/tile/entries/")]
        assert len(fetched) <= -(-size // 256) - bundles + 1  # only what it did not hold
        assert kept(data)[:2] == (size_of(log.url), None)
    finally:
        proxy.close()
    mirror = MirrorProcess(log.url, data, vkey)
    try:
        mirror.wait_size(size_of(log.url))
        done = credo("verify", "--url", mirror.url, "--log-vkey", vkey)
        assert done.returncode == 0, done.stderr
    finally:
        mirror.stop()


def test_a_member_mirror_cosigns_what_it_mirrors(log: Server, tmp_path: Path) -> None:
    vkey = vkey_of(log)
    wdir = tmp_path / "witness"
    shown = credo("witness", "--data", str(wdir), "--name", "member.test/mirror", "--show-key")
    assert shown.returncode == 0, shown.stderr
    witness_vkey = shown.stdout.strip().splitlines()[-1]
    mirror = MirrorProcess(log.url, tmp_path / "m", vkey, "--witness-data", str(wdir))
    try:
        note = mirror.wait_size(size_of(log.url))
        cp, cosigs = open_cosigned_checkpoint(
            note, [NoteVerifier.from_vkey(vkey)], [CosignatureVerifier.from_vkey(witness_vkey)]
        )
        assert [c.name for c in cosigs] == ["member.test/mirror"]
        assert parse_note(note).text == cp.to_text()
        done = credo("verify", "--url", mirror.url, "--log-vkey", vkey)
        assert done.returncode == 0, done.stderr
    finally:
        mirror.stop()
