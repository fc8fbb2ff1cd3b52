"""A standard tlog client with no credo code verifies a running credo server.

The client (goclient/main.go) uses golang.org/x/mod/sumdb/note and sumdb/tlog, the libraries
behind Go's checksum database: it reads only /log/checkpoint and the C2SP tiles, checks the
checkpoint signature, proves inclusion of entries and consistency between checkpoints.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.tlog import Checkpoint, NoteSigner, generate_signer, sign_checkpoint
from tests.conftest import ORIGIN, member_key
from tests.e2e._server import (
    Server,
    fetch_checkpoint,
    make_consortium,
    post_entries,
    signed_attestations,
)

pytestmark = pytest.mark.skipif(
    shutil.which("go") is None, reason="needs the Go toolchain (scripts/test installs golang-go)"
)

SIZE_A = 300  # checkpoint A: the second level-0 tile is partial (width 44)
SIZE_B = 777  # checkpoint B: three full level-0 tiles, a partial one of 9; level 1 partial


@dataclass
class LiveLog:
    server: Server
    vkey: str
    checkpoint_a: bytes
    history: list[bytes]  # every checkpoint seen while filling the log, in order
    entries: dict[int, bytes] = field(default_factory=dict)  # index -> exact stored bytes


@pytest.fixture(scope="module")
def live_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLog]:
    """A server whose log spans several tiles: checkpoint A at SIZE_A, the latest at SIZE_B."""
    root = make_consortium(tmp_path_factory.mktemp("golog") / "data")
    server = Server(root, root.parent / "server.log")
    try:
        server.wait_ready()
        key = member_key(root, "uni")
        with httpx.Client() as http:
            vkey = http.get(f"{server.url}/log/vkey", timeout=10).text.strip()
            note, cp = fetch_checkpoint(http, server.url)
            history = [note]
            entries: dict[int, bytes] = {}
            for target in (100, 256, SIZE_A, 512, 600, SIZE_B):
                batch = signed_attestations(key, "uni", f"go-{target}", target - cp.size)
                indexes = post_entries(http, server.url, [env for env, _ in batch])
                entries.update(zip(indexes, (stored for _, stored in batch), strict=True))
                note, cp = fetch_checkpoint(http, server.url)
                assert cp.size == target
                history.append(note)
        checkpoint_a = next(n for n in history if f"\n{SIZE_A}\n" in n.decode())
        yield LiveLog(server, vkey, checkpoint_a, history, entries)
    finally:
        server.stop()


def run_goclient(
    binary: Path, tmp: Path, url: str, vkey: str, indexes: list[int], olds: list[bytes]
) -> subprocess.CompletedProcess[str]:
    args = [str(binary), "-url", url, "-vkey", vkey]
    if indexes:
        args += ["-entries", ",".join(map(str, indexes))]
    for n, note in enumerate(olds):
        path = tmp / f"old-{n}.note"
        path.write_bytes(note)
        args += ["-old", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_go_client_verifies_checkpoint_inclusion_and_consistency(
    goclient: Path, live_log: LiveLog, tmp_path: Path
) -> None:
    rng = random.Random(2)
    # Tile edges, the genesis, entries in the partial tiles of A and of B, and random ones.
    picked = {0, 4, 255, 256, 299, 511, 512, 767, 768, SIZE_B - 1}
    picked |= set(rng.sample(range(SIZE_B), 15))
    done = run_goclient(
        goclient,
        tmp_path,
        live_log.server.url,
        live_log.vkey,
        sorted(picked),
        [live_log.checkpoint_a],
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["origin"] == ORIGIN
    assert out["size"] == SIZE_B
    assert out["consistent_from"] == [SIZE_A]
    assert out["tiles_fetched"] > 3  # hash tiles (full and partial) and entry bundles
    assert {int(i) for i in out["entries"]} == picked
    for index, data in out["entries"].items():
        if int(index) in live_log.entries:  # the ones this test submitted, byte for byte
            assert base64.b64decode(data) == live_log.entries[int(index)]
    # The root the Go client computed is the one the server signed.
    latest = live_log.history[-1].decode()
    assert f"\n{out['root']}\n" in latest


def test_go_client_checks_consistency_with_every_earlier_checkpoint(
    goclient: Path, live_log: LiveLog, tmp_path: Path
) -> None:
    done = run_goclient(
        goclient, tmp_path, live_log.server.url, live_log.vkey, [], live_log.history
    )
    assert done.returncode == 0, done.stderr
    sizes = [5, 100, 256, SIZE_A, 512, 600, SIZE_B]
    assert json.loads(done.stdout)["consistent_from"] == sizes


def test_go_client_fails_with_a_wrong_verifier_key(
    goclient: Path, live_log: LiveLog, tmp_path: Path
) -> None:
    impostor = generate_signer(ORIGIN).verifier_key()  # same name, another key
    done = run_goclient(goclient, tmp_path, live_log.server.url, impostor, [0], [])
    assert done.returncode == 1
    assert "checkpoint signature" in done.stderr
    assert done.stdout == ""


def test_go_client_fails_on_a_forged_old_checkpoint(
    goclient: Path, live_log: LiveLog, tmp_path: Path
) -> None:
    """A checkpoint signed by the log's own key but for another history: a split view."""
    log_key = MemberKey.load(DataDir(live_log.server.data).log_key).private_key
    forged = sign_checkpoint(Checkpoint(ORIGIN, SIZE_A, bytes(32)), [NoteSigner(ORIGIN, log_key)])
    done = run_goclient(goclient, tmp_path, live_log.server.url, live_log.vkey, [], [forged])
    assert done.returncode == 1
    assert f"tree {SIZE_A} is not a prefix of tree {SIZE_B}" in done.stderr


def test_go_client_rejects_an_index_beyond_the_tree(
    goclient: Path, live_log: LiveLog, tmp_path: Path
) -> None:
    done = run_goclient(goclient, tmp_path, live_log.server.url, live_log.vkey, [SIZE_B], [])
    assert done.returncode == 1
    assert "not in a tree of size" in done.stderr
