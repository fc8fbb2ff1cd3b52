"""A writer frozen mid-transaction (a SIGSTOPped sequencer: it sends nothing more) must not
hold the writer's advisory lock from its successor for longer than the server's idle limit
(`credo.store.postgres.store.IDLE_IN_WRITE_MS`, ``idle_in_transaction_session_timeout``).

Found by tests/e2e/test_multihost.py: after a pipelined write (``executemany``, as
`put_tiles` and the entry bundles use), PostgreSQL 15 does not end the idle transaction (the
trailing Flush disarms its timer), so a zombie frozen there blocked every commit of the new
sequencer until it was resumed; now the waiting writer ends it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

from credo.errors import CredoError
from credo.store import WriteTx, open_store
from credo.store.postgres.store import IDLE_IN_WRITE_MS
from tests import _postgres

SUCCESSOR_WAIT = 3 * IDLE_IN_WRITE_MS / 1000
"""How long the successor may wait for the lock: the idle limit, with room to spare."""
FROZEN_FOR = SUCCESSOR_WAIT + 10  # longer than the successor waits: only the server frees it


def _plain(tx: WriteTx) -> None:
    tx.set_meta("frozen", "yes")


def _pipelined(tx: WriteTx) -> None:
    tx.put_tiles({(5, 0): b"\0" * 32, (5, 1): b"\1" * 32})


def _mid_pipeline(tx: WriteTx) -> None:
    """Stopped inside a pipeline, after an Execute reached the server and before the Sync
    that would end it (as in the middle of an ``executemany``): the server shows the session
    'active', waiting on its client (``ClientRead``), not idle in its transaction."""
    conn = tx.conn  # type: ignore[attr-defined]
    pgconn = conn.pgconn
    pgconn.enter_pipeline_mode()
    pgconn.send_query_params(b"INSERT INTO meta VALUES ('mid', 'pipeline')", None)
    while pgconn.flush():
        pass


def _mid_copy(tx: WriteTx) -> None:
    """Stopped in the middle of a ``COPY ... FROM STDIN`` (a group commit's attestations):
    the server waits on its client for the rest of the data, 'active' as well."""
    conn = tx.conn  # type: ignore[attr-defined]
    pgconn = conn.pgconn
    pgconn.send_query(b"COPY meta (key, value) FROM STDIN")
    while pgconn.flush():
        pass
    assert pgconn.get_result().status == psycopg.pq.ExecStatus.COPY_IN
    pgconn.put_copy_data(b"mid\tcopy\n")
    while pgconn.flush():
        pass


@pytest.mark.parametrize(
    "last_write",
    [
        pytest.param(_plain, id="after-a-plain-statement"),
        pytest.param(_pipelined, id="after-a-pipelined-write"),
        pytest.param(_mid_pipeline, id="in-the-middle-of-a-pipeline"),
        pytest.param(_mid_copy, id="in-the-middle-of-a-copy"),
    ],
)
def test_a_frozen_writer_loses_the_lock_to_its_successor(
    postgres: _postgres.Server, last_write: Callable[[WriteTx], None]
) -> None:
    url = postgres.fresh_url()
    frozen, successor = open_store(url), open_store(url)
    holding, thaw, wrote = threading.Event(), threading.Event(), threading.Event()

    def freeze() -> None:
        try:
            with frozen.write() as tx:
                last_write(tx)
                holding.set()
                thaw.wait(FROZEN_FOR)  # sends nothing: as a SIGSTOPped process would
                tx.set_meta("thawed", "yes")  # the server ended the transaction: this fails
        except (CredoError, psycopg.Error):
            pass

    def succeed() -> None:
        with successor.write() as tx:
            tx.set_meta("owner", "successor")
        wrote.set()

    writers = [threading.Thread(target=freeze), threading.Thread(target=succeed)]
    try:
        writers[0].start()
        assert holding.wait(30), "the first writer never began"
        writers[1].start()
        assert wrote.wait(SUCCESSOR_WAIT), "the frozen writer still holds the lock"
    finally:
        thaw.set()
        for w in writers:
            w.join(timeout=FROZEN_FOR + 30)
        frozen.close()
        successor.close()
