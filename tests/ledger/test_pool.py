"""How the validator shares a request body among its worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.ledger.node import DataDir
from credo.ledger.pool import MIN_PART, Validator
from credo.store.sqlite import SqliteStore


@pytest.fixture
def validator(data_dir: Path) -> Iterator[Validator]:
    store = SqliteStore(DataDir(data_dir).db)
    v = Validator(store, str(DataDir(data_dir).db), workers=0)
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
