"""`Mirror.sync` against a fake log: full copies and growth across every kind of tile edge,
resuming an interrupted copy, and every tampering refused with nothing of it kept."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InputError, LogUnavailable, VerificationError
from credo.mirror.follow import Mirror
from credo.mirror.source import LogSource
from credo.tlog import (
    TILE_WIDTH,
    Checkpoint,
    NoteSigner,
    TileHashReader,
    entries_path,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
    tile_path,
    tree_root,
    verify_consistency,
)
from tests.mirror.conftest import LOG_SIGNER, ORIGIN, URL, FakeLog, fixed_key, make_mirror

Make = Callable[..., Mirror]


def snapshot(mirror: Mirror) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the mirror's store, to compare before and after a refused round."""
    conn = sqlite3.connect(mirror.store.path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("meta", "checkpoints", "tiles", "bundles")
        }
    finally:
        conn.close()


def assert_holds(mirror: Mirror, log: FakeLog, size: int) -> None:
    """The mirror's verified tree is the log's first ``size`` entries, tile for tile."""
    kept = mirror.store.checkpoint()
    assert kept is not None
    assert kept.size == size
    assert kept.root == log.tree.root(size)
    assert open_checkpoint(kept.note, LOG_SIGNER.verifier()).size == size
    reader = TileHashReader(mirror.store.read_tile)
    assert tree_root(size, reader) == log.tree.root(size)
    for index in range(-(-size // TILE_WIDTH)):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        count, data = mirror.store.read_bundle(index)
        assert count >= width
        assert data.startswith(log.body(entries_path(index, width)))
    assert mirror.store.checkpoint("pending") is None


# --- copies ---------------------------------------------------------------------------


def test_copies_a_log_of_several_full_tiles_and_a_partial(log: FakeLog, mirrors: Make) -> None:
    log.append(3001).publish()
    mirror = mirrors(log)
    done = mirror.sync()
    assert (done.before, done.size, done.copied) == (0, 3001, 3001)
    assert_holds(mirror, log, 3001)
    log.requests.clear()
    assert mirror.sync().copied == 0  # nothing new: nothing fetched but the checkpoint
    assert log.requests == ["/log/vkey", "/log/checkpoint"]


EDGES = [
    (1, 256), (255, 256), (256, 257), (256, 512), (300, 777), (511, 513),
    (65535, 65536), (65536, 65537), (65536, 65792), (65792, 70001), (1, 70001), (70000, 70001),
]  # fmt: skip


@pytest.fixture(scope="module")
def big() -> FakeLog:
    return FakeLog().append(70001)


@pytest.mark.parametrize(("old", "new"), EDGES)
def test_grows_across_tile_edges(big: FakeLog, tmp_path: Path, old: int, new: int) -> None:
    grow(big, tmp_path, old, new)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 70001), min_size=1, max_size=3, unique=True))
def test_grows_through_any_sizes(
    big: FakeLog, tmp_path_factory: pytest.TempPathFactory, sizes: list[int]
) -> None:
    data = tmp_path_factory.mktemp("m")
    sizes.sort()
    mirror = make_mirror(data, big)
    try:
        for size in sizes:
            big.publish(size)
            assert mirror.sync().size == size
            assert_holds(mirror, big, size)
    finally:
        mirror.store.close()


def grow(log: FakeLog, data: Path, old: int, new: int) -> None:
    mirror = make_mirror(data, log)
    try:
        log.publish(old)
        mirror.sync()
        log.publish(new)
        done = mirror.sync()
        assert (done.before, done.size, done.copied) == (old, new, new - old)
        assert_holds(mirror, log, new)
    finally:
        mirror.store.close()


def test_a_stale_checkpoint_that_is_a_prefix_changes_nothing(log: FakeLog, mirrors: Make) -> None:
    log.append(1000).publish()
    mirror = mirrors(log)
    mirror.sync()
    before = snapshot(mirror)
    log.publish(700)  # a cache serving an older checkpoint, say
    assert mirror.sync().stale
    assert snapshot(mirror) == before


def test_the_same_tree_with_more_cosignatures_replaces_the_note(
    log: FakeLog, mirrors: Make
) -> None:
    log.append(10).publish()
    mirror = mirrors(log)
    mirror.sync()
    witness = NoteSigner("w.test", fixed_key(5))  # any extra signature line
    text = parse_note(log.note).text
    more = sign_checkpoint(Checkpoint.from_text(text), [LOG_SIGNER, witness])
    log.note = more
    mirror.sync()
    kept = mirror.store.checkpoint()
    assert kept is not None
    assert kept.served == more
    log.publish(10)  # fewer lines again: the one with more is kept
    mirror.sync()
    assert mirror.store.checkpoint().served == more  # type: ignore[union-attr]


# --- resuming -----------------------------------------------------------------------------


def test_an_interrupted_copy_resumes_from_what_it_had_verified(
    log: FakeLog, tmp_path: Path
) -> None:
    log.append(3001).publish()
    mirror = make_mirror(tmp_path, log, chunk=2)
    log.fail_after = 16  # the log goes away in the middle of the copy
    with pytest.raises(LogUnavailable):
        mirror.sync()
    assert mirror.store.checkpoint() is None  # nothing served yet
    pending = mirror.store.checkpoint("pending")
    assert pending is not None
    assert pending.size == 3001
    kept = [i for i in range(12) if mirror.store.read_bundle(i)[0] == TILE_WIDTH]
    assert kept, "no bundle was kept before the interruption"
    mirror.store.close()

    log.fail_after = None
    log.requests.clear()
    again = make_mirror(tmp_path, log)
    assert again.sync().size == 3001
    assert_holds(again, log, 3001)
    fetched = {p for p in log.requests if p.startswith("/log/tile/entries/")}
    assert not fetched & {"/log/" + entries_path(i) for i in kept}
    again.store.close()


def test_a_pending_copy_is_retargeted_to_a_later_checkpoint(log: FakeLog, tmp_path: Path) -> None:
    log.append(2000).publish()
    mirror = make_mirror(tmp_path, log, chunk=1)
    log.fail_after = 12
    with pytest.raises(LogUnavailable):
        mirror.sync()
    log.fail_after = None
    log.append(1500).publish()
    assert mirror.sync().size == 3500
    assert_holds(mirror, log, 3500)
    mirror.store.close()


def test_a_pending_copy_contradicted_by_the_next_checkpoint_is_a_rewritten_history(
    log: FakeLog, tmp_path: Path
) -> None:
    log.append(2000).publish()
    mirror = make_mirror(tmp_path, log, chunk=1)
    log.fail_after = 12
    with pytest.raises(LogUnavailable):
        mirror.sync()
    fork = log.fork(1500, 2600)
    mirror.source = LogSource(URL, transport=fork.transport())
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == "rewritten_history"
    assert mirror.store.checkpoint() is None
    assert mirror.store.checkpoint("pending").size == 2000  # type: ignore[union-attr]
    mirror.store.close()


# --- tampering ----------------------------------------------------------------------------


def flip(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


TAMPERED = [
    (tile_path(0, 3), flip, "bad_tile", "tile/0/003 does not verify"),
    (tile_path(0, 11, 185), flip, "bad_tile", "right-edge tiles"),
    (tile_path(1, 0, 11), flip, "bad_tile", "right-edge tiles"),
    (tile_path(0, 5), lambda d: d[:-32], "bad_tile", "tile/0/005 is 8160 bytes"),
    (entries_path(4), flip, "bad_bundle", "tile/entries/004 does not verify: entry 1279"),
    (entries_path(11, 185), flip, "bad_bundle", "tile/entries/011.p/185 does not verify"),
    (entries_path(9), lambda d: d[:-1], "bad_bundle", "tile/entries/009: entry bundle truncated"),
    (entries_path(7), lambda d: d + b"\x00\x01x", "bad_bundle", "holds 257 entries"),
]


@pytest.mark.parametrize("from_size", [0, 1000])
@pytest.mark.parametrize(("path", "change", "code", "message"), TAMPERED)
def test_a_tampered_tile_or_bundle_is_refused_and_nothing_of_it_kept(
    log: FakeLog,
    mirrors: Make,
    from_size: int,
    path: str,
    change: Callable[[bytes], bytes],
    code: str,
    message: str,
) -> None:
    log.append(3001)
    mirror = mirrors(log, chunk=1)
    if from_size:
        log.publish(from_size)
        mirror.sync()
    log.publish()
    before = snapshot(mirror)
    log.overrides[path] = change
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == code, refused.value.message
    assert message in refused.value.message
    after = snapshot(mirror)
    verified = [row for row in after["checkpoints"] if row[0] == "verified"]
    assert verified == [row for row in before["checkpoints"] if row[0] == "verified"]
    tampered = change(log.body(path))
    assert all(tampered not in row for row in after["tiles"] + after["bundles"])
    assert not mirror.evidence.exists()
    # The log stops tampering: the copy completes from what was kept.
    del log.overrides[path]
    assert mirror.sync().size == 3001
    assert_holds(mirror, log, 3001)


def test_a_checkpoint_not_signed_by_the_pinned_key_is_refused(log: FakeLog, mirrors: Make) -> None:
    log.append(300).publish()
    mirror = mirrors(log)
    mirror.sync()
    before = snapshot(mirror)
    log.append(10)
    impostor = NoteSigner(ORIGIN, fixed_key(99))  # the log's name, another key
    cp = Checkpoint(ORIGIN, 310, log.tree.root(310))
    for note in (
        sign_checkpoint(cp, [impostor]),
        flip(log.checkpoint()[:-1]) + b"\n",  # a signature byte changed
        log.checkpoint().replace(b"310\n", b"311\n"),  # the size changed under the signature
    ):
        log.note = note
        with pytest.raises(VerificationError) as refused:
            mirror.sync()
        assert refused.value.code == "bad_checkpoint", refused.value.message
        assert snapshot(mirror) == before
    log.note = b"not a note"
    with pytest.raises(VerificationError, match="malformed"):
        mirror.sync()


def test_a_signed_checkpoint_whose_tiles_do_not_hash_to_it_is_refused(
    log: FakeLog, mirrors: Make
) -> None:
    log.append(600).publish(300)
    mirror = mirrors(log)
    mirror.sync()
    before = snapshot(mirror)
    log.published = 600
    log.note = sign_checkpoint(Checkpoint(ORIGIN, 600, bytes(32)), [LOG_SIGNER])
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == "bad_tile"
    assert snapshot(mirror) == before


def test_a_log_serving_another_key_is_refused(log: FakeLog, mirrors: Make) -> None:
    log.append(5).publish()
    log.vkey = NoteSigner(ORIGIN, fixed_key(42)).verifier_key()
    mirror = mirrors(log)
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == "vkey_mismatch"
    assert mirror.store.checkpoint() is None


def test_a_directory_bound_to_another_log_is_refused(log: FakeLog, tmp_path: Path) -> None:
    make_mirror(tmp_path, log).store.close()
    other = NoteSigner(ORIGIN, fixed_key(43))
    from credo.mirror.store import DB_FILE, MirrorStore

    store = MirrorStore(tmp_path / DB_FILE).open()
    mirror = Mirror(store, LogSource(URL, transport=log.transport()), other.verifier(), tmp_path)
    with pytest.raises(InputError) as refused:
        mirror.bind()
    assert refused.value.code == "other_log"
    store.close()


# --- rewritten histories ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kept", "shared", "served", "reason"),
    [
        (1000, 600, 3001, "inconsistent"),  # a larger tree not containing the kept one
        (1000, 999, 1000, "same_size_other_root"),
        (1000, 500, 800, "not_a_prefix"),  # a smaller tree that is not a prefix
        (256, 255, 70000, "inconsistent"),
    ],
)
def test_a_rewritten_history_is_refused_and_kept_as_evidence(
    log: FakeLog, mirrors: Make, kept: int, shared: int, served: int, reason: str
) -> None:
    log.append(kept).publish()
    mirror = mirrors(log)
    mirror.sync()
    before = snapshot(mirror)
    fork = log.fork(shared, served)
    mirror.source = LogSource(URL, transport=fork.transport())
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == "rewritten_history"
    assert reason in refused.value.message
    assert snapshot(mirror) == before
    (evidence,) = mirror.evidence.iterdir()
    assert evidence.name.startswith(reason)
    assert str(evidence) in refused.value.message
    old = open_checkpoint((evidence / "kept.checkpoint").read_bytes(), LOG_SIGNER.verifier())
    new = open_checkpoint((evidence / "served.checkpoint").read_bytes(), LOG_SIGNER.verifier())
    assert (old.size, new.size) == (kept, served)
    if reason != "same_size_other_root":
        # Anyone can check it: the proof fails between the two signed roots.
        lines = (evidence / "consistency-proof").read_text().split() if served != kept else []
        proof = [base64.b64decode(x) for x in lines]
        small, large = sorted([(old.size, old.root_hash), (new.size, new.root_hash)])
        with pytest.raises(VerificationError):
            verify_consistency(small[0], large[0], proof, small[1], large[1])
    assert "signed" in (evidence / "report.txt").read_text()
    # Shown again, it is kept once.
    with pytest.raises(VerificationError):
        mirror.sync()
    assert len(list(mirror.evidence.iterdir())) == 1
