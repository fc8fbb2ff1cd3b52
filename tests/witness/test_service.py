"""`Witness.add_checkpoint` without HTTP: the race the spec warns of, a split view shown to
several witnesses, and the evidence kept."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credo.errors import CredoError, InputError, OldSizeMismatch, VerificationError
from credo.tlog.checkpoint import Checkpoint
from credo.tlog.cosignature import Cosignature, CosignatureSigner
from credo.tlog.merkle import verify_consistency
from credo.tlog.note import parse_note
from credo.witness.app import create_witness_app
from credo.witness.service import Witness, parse_request
from credo.witness.store import Cosigned, WitnessStore
from tests.witness.conftest import (
    LOG_SIGNER,
    ORIGIN,
    WITNESS_SIGNER,
    FakeLog,
    fixed_key,
    make_witness,
    request_body,
)


def test_parse_request() -> None:
    log = FakeLog(8)
    req = parse_request(log.body(3, 8))
    assert (req.old_size, list(req.proof), req.note) == (3, log.proof(3, 8), log.checkpoint(8))
    assert parse_request(b"old 0\n\nnote").proof == ()
    assert parse_request(request_body(1, [b"\x01" * 32] * 63, b"n")).proof == (b"\x01" * 32,) * 63
    for bad in (
        b"old 1",
        b"old 1\n",
        b"old  1\n\n",
        b"Old 1\n\n",
        b"old 1\nAAAA\n\n",
        b"old 1\n\n"[:5],
    ):
        with pytest.raises(InputError):
            parse_request(bad)


class WideWindowStore(WitnessStore):
    """Yields the GIL between reading the latest checkpoint and the caller's swap, so other
    threads run their checks against the same state: the window the spec's race needs."""

    def latest(self, origin: str) -> Cosigned | None:
        found = super().latest(origin)
        time.sleep(0.001)
        return found


Submit = Callable[[bytes], tuple[int, bytes]]


def service_submit(witness: Witness) -> Submit:
    def submit(body: bytes) -> tuple[int, bytes]:
        try:
            return 200, witness.add_checkpoint(body)
        except OldSizeMismatch as exc:
            return 409, f"{exc.size}\n".encode()
        except CredoError as exc:
            return exc.status, b""

    return submit


def http_submit(client: TestClient) -> Submit:
    def submit(body: bytes) -> tuple[int, bytes]:
        r = client.post("/add-checkpoint", content=body)
        return r.status_code, r.content

    return submit


@pytest.fixture
def wide_witness(tmp_path: Path) -> Iterator[Witness]:
    w = make_witness(tmp_path / "race.db", WideWindowStore)
    yield w
    w.store.close()


@pytest.mark.parametrize("via", ["service", "http"])
def test_concurrent_add_checkpoint_never_forks_or_rolls_back(
    via: str, wide_witness: Witness
) -> None:
    """Clients of two forked histories of one log (same key, same first 4 leaves) race to get
    checkpoints cosigned, each learning the witness's size from 409s as real clients do.
    Whatever interleaving happens, every cosigned checkpoint is a prefix of the witness's final
    one: no two roots for one size, no cosignature for a tree the next one does not extend."""
    histories = {"a": FakeLog(64), "b": FakeLog(64, tag="b", fork_at=4)}
    cosigned: list[tuple[int, bytes, str]] = []
    statuses: list[int] = []
    lock = threading.Lock()
    with TestClient(create_witness_app(wide_witness)) as client:
        submit = service_submit(wide_witness) if via == "service" else http_submit(client)

        def client_thread(seed: int) -> None:
            rng = random.Random(seed)
            name = "ab"[seed % 2]
            log, known = histories[name], 0
            for _ in range(25):
                size = rng.randint(known, min(known + 6, 64))
                status, body = submit(log.body(known, size))
                with lock:
                    statuses.append(status)
                if status == 200:
                    with lock:
                        cosigned.append((size, log.root(size), body.decode()))
                    known = size
                elif status == 409:
                    known = int(body)
                elif status == 422:  # the other history won: start over from 0's 409
                    known = 0
                else:
                    raise AssertionError(f"unexpected {status}")

        threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = wide_witness.store.latest(ORIGIN)  # the app closes the store on its way out

    assert final is not None
    assert {200, 409} <= set(statuses)  # the race happened: some won, some were told to retry
    roots: dict[int, bytes] = {}
    for size, root, line in cosigned:
        assert roots.setdefault(size, root) == root, f"two roots cosigned for size {size}"
        proof = next(
            h.proof(size, final.size)
            for h in histories.values()
            if h.root(final.size) == final.root
        )
        verify_consistency(size, final.size, proof, root, final.root)  # a prefix of the final
        # ... and the cosignature returned is over exactly that checkpoint.
        cosig = Cosignature.from_note_signature(parse_note(b"x\n\n" + line.encode()).signatures[0])
        WITNESS_SIGNER.verifier().verify(Checkpoint(ORIGIN, size, root).to_text(), cosig)


def test_a_lost_swap_is_checked_again(tmp_path: Path) -> None:
    """Two requests checked against the same state: the second's swap fails, so it is checked
    against the first's result (409 here), never stored over it."""
    log = FakeLog(10)
    fork = FakeLog(10, tag="b", fork_at=2)
    store = WitnessStore(tmp_path / "w.db").open()
    witness = Witness(WITNESS_SIGNER, {ORIGIN: [LOG_SIGNER.verifier()]}, store)
    witness.add_checkpoint(log.body(0, 2))
    real_latest = store.latest
    stale = real_latest(ORIGIN)
    calls = 0

    def latest_then_race(origin: str) -> Cosigned | None:
        nonlocal calls
        calls += 1
        if calls == 1:  # another witness thread cosigns the fork right after our read
            store.latest = real_latest  # type: ignore[method-assign]
            witness.add_checkpoint(fork.body(2, 6))
            store.latest = latest_then_race  # type: ignore[method-assign]
            return stale
        return real_latest(origin)

    store.latest = latest_then_race  # type: ignore[method-assign]
    with pytest.raises(OldSizeMismatch) as exc:
        witness.add_checkpoint(log.body(2, 8))
    assert exc.value.size == 6
    latest = real_latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.root) == (6, fork.root(6))
    store.close()


def test_split_view_every_witness_refuses_the_second_and_keeps_it(tmp_path: Path) -> None:
    """A log signs two inconsistent checkpoints of size 10 and shows each to different
    witnesses. Every witness cosigns the first it sees and refuses the other, whatever old
    size the request claims, and serves it as evidence next to what it had cosigned."""
    a, b = FakeLog(12), FakeLog(12, tag="b", fork_at=6)
    witnesses = [
        Witness(
            CosignatureSigner(f"witness.test/{i}", fixed_key(10 + i)),
            {ORIGIN: [LOG_SIGNER.verifier()]},
            WitnessStore(tmp_path / f"w{i}.db").open(),
        )
        for i in range(3)
    ]
    first = {0: a, 1: b, 2: a}
    clients = [TestClient(create_witness_app(w)) for w in witnesses]
    try:
        for i, c in enumerate(clients):
            assert c.post("/add-checkpoint", content=first[i].body(0, 10)).status_code == 200
        for i, c in enumerate(clients):
            other = b if first[i] is a else a
            r = c.post("/add-checkpoint", content=other.body(10, 10))
            assert (r.status_code, r.json()["code"]) == (422, "root_mismatch")
            r = c.post("/add-checkpoint", content=other.body(0, 10))
            assert (r.status_code, r.content) == (409, b"10\n")
            # Nor will it cosign the other history's growth past the fork.
            r = c.post("/add-checkpoint", content=other.body(10, 12))
            assert (r.status_code, r.json()["code"]) == (422, "bad_consistency_proof")
            # It still serves, and still cosigns, its first history.
            assert c.post("/add-checkpoint", content=first[i].body(10, 12)).status_code == 200

            evidence = c.get("/evidence").json()["evidence"]
            fork_proofs = [e for e in evidence if e["reason"] == "same_size_other_root"]
            assert len(fork_proofs) == 1  # shown twice, kept once
            e = fork_proofs[0]
            assert e["checkpoint"].encode() == other.checkpoint(10)
            # A monitor needs nothing else: both are signed by the log, same size, two roots.
            seen = parse_note(e["cosigned"].encode())
            refused = parse_note(e["checkpoint"].encode())
            for note in (seen, refused):
                LOG_SIGNER.verifier().verify(note.text.encode(), note.signatures[0].signature)
            cp_seen, cp_refused = (
                Checkpoint.from_text(seen.text),
                Checkpoint.from_text(refused.text),
            )
            assert cp_seen.size == cp_refused.size == 10
            assert cp_seen.root_hash != cp_refused.root_hash
            assert [x["reason"] for x in evidence] == [
                "same_size_other_root",
                "consistency_proof_failed",
            ]
    finally:
        for c, w in zip(clients, witnesses, strict=True):
            c.close()
            w.store.close()


def test_known_origin_with_unsigned_note_leaves_no_evidence(witness: Witness, log: FakeLog) -> None:
    """Evidence is only what the log signed: anyone could send an unsigned fork."""
    witness.add_checkpoint(log.body(0, 5))
    fork = FakeLog(5, tag="b", signer=type(LOG_SIGNER)(ORIGIN, fixed_key(77)))
    with pytest.raises(CredoError) as exc:
        witness.add_checkpoint(fork.body(5, 5))
    assert exc.value.status == 403
    assert witness.store.evidence() == []


def test_witness_refuses_bad_configuration(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w.db").open()
    with pytest.raises(InputError):
        Witness(WITNESS_SIGNER, {}, store)
    with pytest.raises(InputError):
        Witness(WITNESS_SIGNER, {ORIGIN: []}, store)
    store.close()


def test_same_size_resubmission_is_recosigned(witness: Witness, log: FakeLog) -> None:
    first = witness.add_checkpoint(log.body(0, 5))
    again = witness.add_checkpoint(log.body(5, 5))
    assert first.startswith(b"\xe2\x80\x94 witness.test/w1 ")
    assert again.startswith(b"\xe2\x80\x94 witness.test/w1 ")
    with pytest.raises(VerificationError):
        witness.add_checkpoint(log.body(5, 6, proof=[]))


def test_unproven_evidence_is_capped(
    witness: Witness, log: FakeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anyone can pair the log's real checkpoints with wrong proofs: those rows are capped."""
    monkeypatch.setattr("credo.witness.service.MAX_UNPROVEN_EVIDENCE", 2)
    witness.add_checkpoint(log.body(0, 5))
    for size in (6, 7, 8):
        with pytest.raises(VerificationError):
            witness.add_checkpoint(log.body(5, size, proof=[b"\x01" * 32]))
    assert [e.note for e in witness.store.evidence()] == [log.checkpoint(6), log.checkpoint(7)]


def test_cosignature_times_never_go_back(tmp_path: Path) -> None:
    now = [2000.0]
    store = WitnessStore(tmp_path / "w.db").open()
    w = Witness(WITNESS_SIGNER, {ORIGIN: [LOG_SIGNER.verifier()]}, store, clock=lambda: now[0])
    log = FakeLog(6)

    def stamp(line: bytes) -> int:
        sig = parse_note(b"x\n\n" + line).signatures[0]
        return Cosignature.from_note_signature(sig).timestamp

    assert stamp(w.add_checkpoint(log.body(0, 3))) == 2000
    now[0] = 1000.0  # the clock steps back
    assert stamp(w.add_checkpoint(log.body(3, 6))) == 2000
    store.close()


_FUZZ_LOG = FakeLog(12)
_FUZZ_BODIES = [_FUZZ_LOG.body(0, 5), _FUZZ_LOG.body(5, 9), _FUZZ_LOG.body(5, 5)]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    base=st.sampled_from(_FUZZ_BODIES),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0),
            st.sampled_from(["flip", "insert", "delete"]),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mangled_bodies_are_4xx_never_a_crash(
    witness: Witness, base: bytes, edits: list[tuple[int, str, bytes]]
) -> None:
    """Any mangling of valid bodies is answered by a 4xx error or a cosignature (a change
    the checks do not see, such as one in an ignored unknown signature): never anything
    else, and never a cosignature for a checkpoint the log did not sign."""
    if witness.store.latest(ORIGIN) is None:
        witness.add_checkpoint(_FUZZ_LOG.body(0, 5))
    body = bytearray(base)
    for pos, op, data in edits:
        i = pos % (len(body) + 1)
        if op == "flip" and i < len(body):
            body[i] ^= data[0] or 1
        elif op == "insert":
            body[i:i] = data
        elif op == "delete":
            del body[i : i + len(data)]
    status = 200
    try:
        witness.add_checkpoint(bytes(body))
    except CredoError as exc:
        status = exc.status
    assert status == 200 or 400 <= status < 500
    if status == 200:
        stored = witness.store.latest(ORIGIN)
        assert stored is not None
        cp = Checkpoint.from_text(parse_note(stored.note).text)
        assert cp.root_hash == _FUZZ_LOG.root(cp.size)
