"""A real `credo serve` whose disk fills up (issue "No stranger or member can break credo"):
its data directory on a small tmpfs, a ballast file taking nearly all the room, then
submissions until the disk refuses a write.

What must hold: a write the disk refuses is answered 503 with a problem body (never 500),
reads keep being served, the log on disk stays consistent (`credo verify`), and once room is
freed the next submission is accepted, without a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.tlog import tile_path
from tests.conftest import member_key
from tests.e2e._server import (
    Server,
    fetch_all_entries,
    fetch_checkpoint,
    make_consortium,
    signed_attestations,
)

DISK = "8m"
LEFT_FREE = 512 * 1024  # what the ballast leaves: a few batches' worth
MAX_BATCHES = 2000  # bounds the test if the disk somehow never fills


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A fresh 8 MiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def verify(data: Path) -> str:
    done = subprocess.run(
        ["credo", "verify", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def fill(path: Path, leave: int) -> None:
    """Write a ballast file taking all of the filesystem's room but ``leave`` bytes."""
    room = shutil.disk_usage(path.parent).free - leave
    with path.open("wb") as f:
        chunk = b"\0" * (1024 * 1024)
        while room > 0:
            room -= f.write(chunk[: min(room, len(chunk))])
        f.flush()
        os.fsync(f.fileno())


@pytest.mark.slow
def test_a_full_disk_refuses_writes_503_keeps_reads_and_recovers(
    small_disk: Path, tmp_path: Path
) -> None:
    data = make_consortium(small_disk / "data")
    key = member_key(data, "uni")
    server = Server(data, tmp_path / "serve.log")
    try:
        server.wait_ready()
        with httpx.Client(timeout=60) as http:
            fill(small_disk / "ballast", LEFT_FREE)
            acked: dict[int, bytes] = {}
            refused: list[httpx.Response] = []
            for n in range(MAX_BATCHES):
                batch = signed_attestations(key, "uni", f"fill-{n}", 20)
                r = http.post(f"{server.url}/v1/entries", json={"entries": [e for e, _ in batch]})
                if r.status_code != 200:
                    refused.append(r)
                    if len(refused) >= 3:  # refused again once the disk stays full
                        break
                    continue
                results = r.json()["results"]
                assert [x["status"] for x in results] == ["accepted"] * len(batch), results
                for (_, stored), res in zip(batch, results, strict=True):
                    acked[int(res["index"])] = stored
            print(f"{len(acked)} entries accepted before the disk filled")
            assert refused, f"the disk never filled in {MAX_BATCHES} batches"
            for r in refused:
                assert r.status_code == 503, (r.status_code, r.text[:500], server.output())
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] in ("disk_full", "store_error"), r.text
            print(f"refused: {[r.json()['code'] for r in refused]}")

            # Reads keep working: the checkpoint, tiles and entry bundles.
            _, cp = fetch_checkpoint(http, server.url)
            assert cp.size > max(acked)
            log = fetch_all_entries(http, server.url, cp.size)
            for index, stored in acked.items():
                assert log[index] == stored, f"acknowledged entry {index} lost"
            tile = http.get(f"{server.url}/log/{tile_path(0, 0, min(cp.size, 256))}")
            assert tile.status_code == 200, tile.text
            assert len(tile.content) == 32 * min(cp.size, 256)
            # What is on the full disk is consistent.
            assert verify(data).startswith(f"OK: {cp.size} entries"), server.output()

            # Room again: writing resumes in the same server.
            (small_disk / "ballast").unlink()
            batch = signed_attestations(key, "uni", "after", 5)
            r = http.post(f"{server.url}/v1/entries", json={"entries": [e for e, _ in batch]})
            assert r.status_code == 200, (r.text[:500], server.output())
            results = r.json()["results"]
            assert [x["status"] for x in results] == ["accepted"] * 5, results
            assert [int(x["index"]) for x in results] == list(range(cp.size, cp.size + 5))
            _, after = fetch_checkpoint(http, server.url)
            assert after.size == cp.size + 5
    finally:
        server.stop()
    out = server.log_path.read_text(errors="replace")
    assert "Traceback" not in out, out[-3000:]  # a full disk is a one-line error, not a bug
    assert verify(data).startswith(f"OK: {after.size} entries")
