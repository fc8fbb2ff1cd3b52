"""How the validator shares a request body among its worker processes."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.errors import EntryRejected
from credo.ledger import pool, standard_kinds
from credo.ledger.pool import INLINE_ENTRIES, MIN_PART, Result, Validator, _pack, _unpack
from credo.ledger.validate import Decoded, decode_part, parse_batch
from credo.services.node import DataDir
from credo.store import open_store
from tests.conftest import attestation, member_key


@pytest.fixture
def validator(data_dir: Path) -> Iterator[Validator]:
    store = open_store(DataDir(data_dir).store_location)
    v = Validator(store, standard_kinds(), workers=0)
    v.workers = 2  # the split policy only; no processes are started
    yield v
    store.close()


def _body(entries: int) -> bytes:
    one = b'{"payload":"e30=","payloadType":"application/vnd.credo.x+json","signatures":[]}'
    return b'{"entries":[' + b",".join([one] * entries) + b"]}"


def test_a_large_body_is_split_across_idle_workers(validator: Validator) -> None:
    assert validator._parts(1000) == 2


def test_a_small_body_goes_to_one_worker(validator: Validator) -> None:
    assert validator._parts(MIN_PART) == 1
    assert validator._parts(1) == 1


def test_under_load_each_worker_takes_whole_bodies(validator: Validator) -> None:
    """Every part parses the whole body, so splitting only pays when a worker is idle."""
    validator._busy = 1
    assert validator._parts(1000) == 1
    validator._busy = 2
    assert validator._parts(1000) == 1


def _comparable(result: Result) -> object:
    return (result.code, result.message) if isinstance(result, EntryRejected) else result


def test_worker_results_cross_the_process_boundary_unchanged(
    validator: Validator, data_dir: Path
) -> None:
    """Decoded entries and refusals come back from a worker as they left it; so does a body
    holding a pydantic model (genesis declares its operator as one), which marshal cannot
    carry and which therefore travels as a pickle."""
    genesis = validator.store.read_entries(0, 1)[0]
    one, two = (json.dumps(attestation(data_dir, n)).encode() for n in (1, 2))
    plain = b'{"entries":[{"nope":1},%s,%s,{"nope":2},{"nope":3}]}' % (one, two)
    mixed = [EntryRejected, Decoded, Decoded, EntryRejected, EntryRejected]
    with_model = b'{"entries":[%s,{"nope":1}]}' % genesis
    for body, how, kinds in (
        (plain, b"m", mixed),
        (with_model, b"p", [Decoded, EntryRejected]),
    ):
        results = decode_part(parse_batch(body), 0, 1, validator.kinds, validator._lookup())
        assert [type(r) for r in results] == kinds
        packed = _pack(results)
        assert packed[:1] == how
        assert [_comparable(r) for r in _unpack(packed)] == [_comparable(r) for r in results]


def test_a_body_of_one_or_two_entries_is_validated_here_without_a_worker(
    data_dir: Path,
) -> None:
    """A worker's round trip costs several times what one signature does: small bodies are
    validated in this process, and no worker process is started for them."""
    store = open_store(DataDir(data_dir).store_location)
    v = Validator(store, standard_kinds(), workers=1)
    v.start()
    try:
        for entries in (1, INLINE_ENTRIES):
            envs = b",".join(json.dumps(attestation(data_dir, n)).encode() for n in range(entries))
            results = asyncio.run(v.validate_body(b'{"entries":[%s]}' % envs))
            assert [type(r) for r in results] == [Decoded] * entries
        assert v._pool is not None
        assert not v._pool._processes  # spawned lazily, on the first task: none was sent
    finally:
        v.close()
        store.close()


def test_in_process_validation_reads_the_keys_again_when_the_state_moves(
    validator: Validator, data_dir: Path
) -> None:
    lookup = validator._lookup()
    uni = member_key(data_dir, "uni").key_id
    assert lookup(uni) is not None
    assert validator._lookup().__self__ is lookup.__self__  # type: ignore[attr-defined]
    with validator.store.write() as tx:
        tx.bump_state_version()
    assert validator._lookup().__self__ is not lookup.__self__  # type: ignore[attr-defined]


def test_without_workers_a_large_body_is_validated_off_the_event_loop(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no worker processes (`credo serve`'s default of two serving processes on two
    cores), a large body is validated on a thread: on the event loop, every other request of
    the process, portal pages too, waited for its ~70 ms a thousand entries. The validation
    here waits for the loop to run something else meanwhile; on the loop it never could."""
    store = open_store(DataDir(data_dir).store_location)
    v = Validator(store, standard_kinds(), workers=0)
    loop_ran = threading.Event()

    def waits_for_the_loop(*args: object, **options: object) -> list[Result]:
        assert loop_ran.wait(10), "validation held the event loop"
        return []

    monkeypatch.setattr(pool, "decode_part", waits_for_the_loop)

    async def both() -> None:
        validating = asyncio.create_task(v.validate_body(_body(INLINE_ENTRIES + 1)))
        await asyncio.sleep(0)
        loop_ran.set()
        assert await validating == []

    try:
        asyncio.run(both())
    finally:
        store.close()


def test_a_vouched_body_skips_only_the_signature_check_here_and_on_a_worker(
    validator: Validator, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify=False`` (a sibling vouched, credo.services.forwarding) reaches the worker's
    decoding as well as this process's: a wrong signature passes only then, while a
    malformed entry is refused either way."""
    env = attestation(data_dir, 1)
    sig = env["signatures"][0]  # type: ignore[index]
    sig["sig"] = ("B" if sig["sig"][0] == "A" else "A") + sig["sig"][1:]
    body = b'{"entries":[%s,{"nope":1},%s]}' % (
        json.dumps(env).encode(),
        json.dumps(attestation(data_dir, 2)).encode(),
    )
    for name in ("_worker_store", "_worker_kinds", "_worker_keys", "_worker_version"):
        monkeypatch.setattr(pool, name, getattr(pool, name))  # a worker's, put back after
    pool._worker_init(validator.store.location, validator.kinds)
    version = validator.store.state_version()
    try:
        for verify, first in ((True, EntryRejected), (False, Decoded)):
            here = validator._validate_here(body, verify)
            there = _unpack(pool._worker_decode(body, 0, 1, version, verify))
            for results in (here, there):
                assert [type(r) for r in results] == [first, EntryRejected, Decoded]
            assert not verify or here[0].code == "bad_signature"  # type: ignore[union-attr]
    finally:
        assert pool._worker_store is not None
        pool._worker_store.close()
