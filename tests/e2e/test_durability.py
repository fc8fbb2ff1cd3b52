"""Crash loop: SIGKILL the server while clients submit, restart, and check that nothing
acknowledged was lost and no published checkpoint was contradicted (DESIGN.md, The log:
"a submission is acknowledged only after it is durable").

KILLS rounds of: start `credo serve`, check the log against everything clients saw so far,
let SUBMITTERS threads post signed batches (and one poll checkpoints) for a fraction of a
second, SIGKILL the server's process group. `credo verify` checks the database every
VERIFY_EVERY restarts and after the last kill. About 3 s a round on 2 cores, most of it the
server starting (importing credo takes 1.5 s)."""

from __future__ import annotations

import base64
import random
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.tlog import Checkpoint, NoteVerifier, open_checkpoint, verify_consistency
from tests.conftest import ORIGIN, member_key
from tests.e2e._server import (
    Server,
    fetch_all_entries,
    fetch_checkpoint,
    make_consortium,
    signed_attestations,
)

KILLS = 30  # ~3.5 s a round on 2 cores: 50 rounds made this one test 3 minutes of the suite
SUBMITTERS = 4
VERIFY_EVERY = 10


@dataclass
class Observed:
    """What clients saw before the crashes: the ground truth the log must keep."""

    acked: dict[int, bytes] = field(default_factory=dict)  # index -> exact stored bytes
    batches: list[list[bytes]] = field(default_factory=list)  # every batch sent, answered or not
    checkpoints: set[bytes] = field(default_factory=set)
    # Checkpoints already proven consistent with a later one; by transitivity they need no
    # proof again once that later one is (it stays in ``checkpoints``, unproven, until then).
    proven: set[bytes] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_until_killed(
    url: str, key: MemberKey, tag: str, seen: Observed, stop: threading.Event
) -> None:
    rng = random.Random(tag)
    with httpx.Client(timeout=20) as http:
        n = 0
        while not stop.is_set():
            batch = signed_attestations(key, "uni", f"{tag}-{n}", rng.randint(1, 25))
            n += 1
            with seen.lock:
                seen.batches.append([stored for _, stored in batch])
            try:
                r = http.post(f"{url}/v1/entries", json={"entries": [e for e, _ in batch]})
            except httpx.TransportError:
                return  # the server died with this batch in flight: its outcome is unknown
            assert r.status_code == 200, r.text[:500]
            results = r.json()["results"]
            with seen.lock:
                for (_, stored), res in zip(batch, results, strict=True):
                    assert res["status"] == "accepted", res
                    seen.acked[int(res["index"])] = stored


def poll_checkpoints(url: str, seen: Observed, stop: threading.Event) -> None:
    with httpx.Client(timeout=20) as http:
        while not stop.is_set():
            try:
                r = http.get(f"{url}/log/checkpoint")
            except httpx.TransportError:
                return
            assert r.status_code == 200
            with seen.lock:
                seen.checkpoints.add(r.content)
            time.sleep(0.02)


def crash_round(
    server: Server, key: MemberKey, round_no: int, seen: Observed, rng: random.Random
) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(target=poll_checkpoints, args=(server.url, seen, stop)),
        *(
            threading.Thread(
                target=submit_until_killed,
                args=(server.url, key, f"r{round_no}-c{c}", seen, stop),
            )
            for c in range(SUBMITTERS)
        ),
    ]
    errors: list[BaseException] = []

    def guarded(target: threading.Thread) -> None:
        try:
            target.run()
        except BaseException as exc:  # surface assertion failures of the client threads
            errors.append(exc)

    runners = [threading.Thread(target=guarded, args=(t,)) for t in threads]
    for t in runners:
        t.start()
    try:
        time.sleep(rng.uniform(0.2, 0.6))
        server.kill()
    finally:
        stop.set()
        for t in runners:
            t.join(timeout=60)
    assert not errors, errors


def stored_checkpoints(data: Path) -> list[bytes]:
    conn = sqlite3.connect(f"file:{DataDir(data).db}?mode=ro", uri=True)
    try:
        return [bytes(r[0]) for r in conn.execute("SELECT note FROM checkpoints ORDER BY seq")]
    finally:
        conn.close()


def check_after_restart(server: Server, seen: Observed, *, verify_too: bool) -> None:
    if not verify_too:
        check_log(server, seen)
        return
    # `credo verify` reads the same database beside the running server, meanwhile.
    verify = subprocess.Popen(
        ["credo", "verify", "--data", str(server.data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        latest = check_log(server, seen)
        out, err = verify.communicate(timeout=120)
    finally:
        if verify.poll() is None:
            verify.kill()
            verify.wait()
    assert verify.returncode == 0, err
    assert out.startswith(f"OK: {latest.size} entries"), out


def check_log(server: Server, seen: Observed) -> Checkpoint:
    with httpx.Client(timeout=30) as http:
        vkey = http.get(f"{server.url}/log/vkey").text.strip()
        verifier = NoteVerifier.from_vkey(vkey)
        _, latest = fetch_checkpoint(http, server.url)

        # Every acknowledged entry is at its index, byte for byte.
        assert latest.size > max(seen.acked, default=0)
        log = fetch_all_entries(http, server.url, latest.size)
        for index, stored in seen.acked.items():
            assert log[index] == stored, f"acknowledged entry {index} lost or changed"

        # A batch is one transaction: after a crash it is in the log whole, or not at all.
        position = {data: i for i, data in enumerate(log)}
        assert len(position) == len(log), "an entry appears twice in the log"
        for batch in seen.batches:
            found = [position.get(data) for data in batch]
            if found[0] is None:
                assert found == [None] * len(batch), "a batch was partly written"
            else:
                assert found == list(range(found[0], found[0] + len(batch)))

        # The new checkpoint is consistent with every checkpoint any client ever saw.
        history = stored_checkpoints(server.data)
        assert history[-1] == http.get(f"{server.url}/log/checkpoint").content
        for note in seen.checkpoints:
            assert note in history, "a published checkpoint is missing from the history"
        latest_note = history[-1]
        for note in seen.checkpoints - seen.proven:
            old: Checkpoint = open_checkpoint(note, verifier, ORIGIN)
            r = http.get(
                f"{server.url}/v1/proofs/consistency",
                params={"old": old.size, "new": latest.size},
            )
            assert r.status_code == 200, r.text
            proof = [base64.b64decode(h) for h in r.json()["proof"]]
            verify_consistency(old.size, latest.size, proof, old.root_hash, latest.root_hash)
        seen.proven |= seen.checkpoints
        seen.checkpoints.add(latest_note)  # proven against the next restart's latest
    return latest


@pytest.mark.slow
def test_acknowledged_entries_survive_sigkill(tmp_path: Path) -> None:
    data = make_consortium(tmp_path / "data")
    key = member_key(data, "uni")
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    seen = Observed()
    started = time.monotonic()
    for round_no in range(KILLS + 1):
        server = Server(data, tmp_path / "server.log", workers=0)
        try:
            server.wait_ready()
            if round_no > 0:
                last = round_no == KILLS
                check_after_restart(server, seen, verify_too=last or round_no % VERIFY_EVERY == 0)
            if round_no < KILLS:
                crash_round(server, key, round_no, seen, rng)
        except BaseException as exc:
            exc.add_note(
                f"crash round {round_no}, random seed {seed}; server log:\n{server.output()}"
            )
            raise
        finally:
            server.stop()
    print(
        f"{KILLS} SIGKILLs in {time.monotonic() - started:.0f} s: {len(seen.acked)} entries "
        f"acknowledged, all found at their index; {len(seen.batches)} batches sent, "
        f"{len(seen.checkpoints)} checkpoints seen"
    )
    assert len(seen.acked) > KILLS, "the clients got almost nothing acknowledged"
