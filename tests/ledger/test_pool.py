"""How the validator shares a request body among its worker processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.errors import EntryRejected
from credo.ledger import standard_kinds
from credo.ledger.pool import MIN_PART, Result, Validator, _pack, _unpack
from credo.ledger.validate import Decoded, decode_part, parse_batch
from credo.services.node import DataDir
from credo.store import open_store
from tests.conftest import attestation


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
    assert validator._parts(_body(1000)) == 2


def test_a_small_body_goes_to_one_worker(validator: Validator) -> None:
    assert validator._parts(_body(MIN_PART)) == 1
    assert validator._parts(_body(1)) == 1


def test_under_load_each_worker_takes_whole_bodies(validator: Validator) -> None:
    """Every part parses the whole body, so splitting only pays when a worker is idle."""
    validator._busy = 1
    assert validator._parts(_body(1000)) == 1
    validator._busy = 2
    assert validator._parts(_body(1000)) == 1


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
