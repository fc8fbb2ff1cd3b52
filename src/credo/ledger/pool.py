"""Validation on every core: stateless checks of a submitted batch split across processes.

Threads would not do: libsodium releases the GIL, but on this kind of VM the hand-off back
to the GIL after every ~90 µs verification costs more than it saves (measured: 2 threads
13k verifications/s, 2 processes 22k/s). Each worker keeps its own read-only view of the
members' keys and refreshes it when the ledger's state version moves.
"""

from __future__ import annotations

import asyncio
import marshal
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import islice
from typing import Any

from credo.errors import EntryRejected, StoreError, rejected
from credo.ledger.registry import Registry
from credo.ledger.validate import Decoded, KeyLookup, decode_part, parse_batch, parse_each
from credo.store import Store, open_store

MIN_PART = 64
INLINE_ENTRIES = 2
"""Bodies of at most this many entries are validated in this process: a worker's round trip
(pickling, two pipes, two wake-ups) cost 0.4-0.5 ms of CPU per one-entry body, about five
times what validating it here costs (one signature, ~0.1 ms)."""

Result = Decoded | EntryRejected

_worker_store: Store | None = None
_worker_kinds: Registry | None = None
_worker_keys: dict[str, bytes] = {}
_worker_version = -1


def _worker_init(location: str, kinds: Registry) -> None:
    """A worker's state: its own read-only view of the store, and the ledger's registry."""
    global _worker_store, _worker_kinds
    _worker_store = open_store(location, readonly=True)
    _worker_kinds = kinds


def _active_keys(store: Store) -> dict[str, bytes]:
    return {m.key_id: m.public_key for m in store.list_members() if m.status == "active"}


def _worker_decode(body: bytes, part: int, parts: int, version: int, verify: bool) -> bytes:
    global _worker_keys, _worker_version
    if _worker_store is None or _worker_kinds is None:
        raise StoreError("a validation worker was used before it was opened", code="not_started")
    if version != _worker_version:
        _worker_keys = _active_keys(_worker_store)
        _worker_version = version
    entries = parse_batch(body)
    return _pack(decode_part(entries, part, parts, _worker_kinds, _worker_keys.get, verify=verify))


def _pack(results: list[Result]) -> bytes:
    """A worker's answers as marshal data: the decoded entries as plain tuples, and each
    refusal as (position, code, message).

    marshal writes and reads these about twice as fast as pickle, and the parent rebuilds
    the `Decoded` tuples without a Python call per entry (1.2 vs 2.3-4.6 us per entry on
    the event loop's thread, 1,000-entry bodies). A body holding a pydantic model (genesis
    declares its operator as one) is not marshal data; those rare batches go as a pickle.
    """
    decoded = [tuple(r) for r in results if not isinstance(r, EntryRejected)]
    refused = [
        (i, r.code, r.message) for i, r in enumerate(results) if isinstance(r, EntryRejected)
    ]
    try:
        return b"m" + marshal.dumps((decoded, refused))
    except ValueError:
        return b"p" + pickle.dumps((decoded, refused))


_as_decoded = partial(tuple.__new__, Decoded)


def _unpack(data: bytes) -> list[Result]:
    # Only this server's own workers' output is unpacked (as ProcessPoolExecutor unpickles it).
    decoded, refused = marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])  # noqa: S301, S302
    entries = map(_as_decoded, decoded)
    out: list[Result] = []
    for position, code, message in refused:
        out.extend(islice(entries, position - len(out)))
        out.append(rejected(message, code))
    out.extend(entries)
    return out


def _interleave(parts: list[list[Result]]) -> list[Result]:
    if len(parts) == 1:
        return parts[0]
    out: list[Result] = []
    for i in range(max(len(p) for p in parts)):
        out.extend(p[i] for p in parts if i < len(p))
    return out


class Validator:
    """Validates request bodies of ``POST /v1/entries``; ``workers=0`` validates in-process."""

    def __init__(self, store: Store, kinds: Registry, workers: int) -> None:
        self.store = store
        self.kinds = kinds
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0  # worker tasks in flight, counted on the event loop's thread
        self._keys: dict[str, bytes] = {}
        self._keys_version = -1

    def start(self) -> None:
        """Make the pool of workers (they start on the first task, or `warm_up`); without
        workers, or before this, validation runs in-process."""
        if self.workers > 0 and self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(self.store.location, self.kinds),
            )

    def _lookup(self) -> KeyLookup:
        """The active members' keys, read again only when the ledger's state moved (as each
        worker keeps its own)."""
        version = self.store.state_version()
        if version != self._keys_version:
            self._keys = _active_keys(self.store)
            self._keys_version = version
        return self._keys.get

    def validate_entries(self, entries: list[Any]) -> list[Result]:
        """In-process validation of already-decoded envelope objects (CLI, tests)."""
        return decode_part(parse_each(entries), 0, 1, self.kinds, self._lookup())

    async def validate_body(self, body: bytes, *, verify: bool = True) -> list[Result]:
        """Raises InputError when the body as a whole is malformed; otherwise one result each.
        ``verify=False``: a sibling vouched for the signatures (`decode_part`)."""
        entries = body.count(b'"payloadType"')  # an upper bound, counted without parsing
        if entries <= INLINE_ENTRIES:
            return self._validate_here(body, verify)
        if self._pool is None:
            # Off the event loop: a 1,000-entry body is about 70 ms of Python, and on the
            # loop every other request of this process (portal pages too) waited for it.
            return await asyncio.to_thread(self._validate_here, body, verify)
        parts = self._parts(entries)
        version = self.store.state_version()
        loop = asyncio.get_running_loop()
        futures = [
            loop.run_in_executor(self._pool, _worker_decode, body, p, parts, version, verify)
            for p in range(parts)
        ]
        self._busy += parts
        try:
            results = await asyncio.gather(*futures)
        finally:
            self._busy -= parts
        return _interleave([_unpack(r) for r in results])

    def _validate_here(self, body: bytes, verify: bool = True) -> list[Result]:
        return decode_part(parse_batch(body), 0, 1, self.kinds, self._lookup(), verify=verify)

    def _parts(self, entries: int) -> int:
        """How many workers share a body of (at most) ``entries``. Each of them parses all of
        it (~2.5 us per entry), so a body is split only across idle workers, and only when it
        holds enough entries to be worth it; under load every worker takes whole bodies."""
        idle = self.workers - self._busy
        return max(1, min(idle, entries // MIN_PART))

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first request."""
        if self._pool is not None:
            for f in [self._pool.submit(_worker_init_probe) for _ in range(self.workers)]:
                f.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _worker_init_probe() -> int:
    return 0
