"""`WitnessStore`: the compare-and-swap, across connections, and evidence kept once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from credo.errors import StoreError
from credo.witness.store import Cosigned, WitnessStore

ORIGIN = "log.test/store"


def cp(size: int, root: bytes = b"r" * 32, note: bytes = b"note") -> Cosigned:
    return Cosigned(ORIGIN, size, root, note, 1)


def test_swap_is_compare_and_swap(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w.db").open()
    assert store.latest(ORIGIN) is None
    assert store.swap(None, cp(3))
    assert not store.swap(None, cp(4))  # a row exists: "expected nothing" is stale
    assert not store.swap(cp(2), cp(4))  # wrong size
    assert not store.swap(cp(3, b"x" * 32), cp(4))  # right size, wrong root
    assert store.latest(ORIGIN) == cp(3)
    assert store.swap(cp(3), cp(4, note=b"n4"))
    assert store.latest(ORIGIN) == cp(4, note=b"n4")
    store.close()


def test_sizes_up_to_2_64_minus_1(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w.db").open()
    assert store.swap(None, cp(2**64 - 1))
    got = store.latest(ORIGIN)
    assert got is not None
    assert got.size == 2**64 - 1
    store.close()


def test_one_winner_among_threads_and_processes_sharing_the_file(tmp_path: Path) -> None:
    """Many writers swap from the same expected state, each on its own connection (two
    stores on one file stand for two processes): exactly one succeeds."""
    stores = [WitnessStore(tmp_path / "w.db").open() for _ in range(2)]
    stores[0].swap(None, cp(1))
    barrier = threading.Barrier(16)
    wins: list[int] = []

    def writer(i: int) -> None:
        barrier.wait()
        if stores[i % 2].swap(cp(1), cp(100 + i)):
            wins.append(i)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    latest = stores[1].latest(ORIGIN)
    assert latest is not None
    assert latest.size == 100 + wins[0]
    for s in stores:
        s.close()


def test_evidence_is_kept_once_per_note_and_reason(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w.db").open()
    assert store.add_evidence(ORIGIN, "r1", 5, b"note", b"req", None)
    assert not store.add_evidence(ORIGIN, "r1", 6, b"note", b"other request", b"c")
    assert store.add_evidence(ORIGIN, "r2", 7, b"note", b"req", b"c")
    assert store.add_evidence("log.test/other", "r1", 8, b"note", b"req", None)
    items = store.evidence()
    assert [(e.origin, e.reason, e.received) for e in items] == [
        (ORIGIN, "r1", 5),
        (ORIGIN, "r2", 7),
        ("log.test/other", "r1", 8),
    ]
    assert [e.id for e in store.evidence(after=items[0].id, limit=1)] == [items[1].id]
    assert [e.reason for e in store.evidence(origin="log.test/other")] == ["r1"]
    store.close()


def test_store_errors_are_credo_errors(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        WitnessStore(tmp_path / "not-a-db").open()


def test_evidence_cap(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w.db").open()
    kept = [store.add_evidence(ORIGIN, "r", 1, b"n%d" % i, b"q", None, cap=3) for i in range(5)]
    assert kept == [True, True, True, False, False]
    assert store.add_evidence(ORIGIN, "other", 1, b"n9", b"q", None, cap=3)  # per reason
    assert store.add_evidence(ORIGIN, "r", 1, b"n9", b"q", None)  # no cap: always kept
    store.close()
