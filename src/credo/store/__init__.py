"""credo.store: the tables behind the log and the ledger's derived state.

`protocols` holds the Protocols every backend satisfies, `rows` the rows they return, `sql` the
schema and every statement, written once; each backend is a folder holding only what differs
(`sqlite/`, `postgres/`). Callers open a store with `open_store` (or `store_at`, then
`Store.open`) and never name a backend class.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from credo.store.consultation_protocols import ConsultationReader, ConsultationWriter
from credo.store.consultation_rows import (
    ConsultationRow,
    DecisionRow,
    OpinionVoteRow,
    PublishedRow,
    StatementRow,
    TranslationRow,
)
from credo.store.protocols import (
    LogReader,
    PeopleReader,
    PeopleWriter,
    ProgrammeReader,
    ProgrammeWriter,
    StateReader,
    Store,
    WriteTx,
)
from credo.store.rows import (
    CORRUPT_LOG,
    PERSONAL_TABLES,
    AccessRow,
    AttestationRow,
    CheckpointRow,
    ConsentRow,
    DisputeRow,
    LeaseRow,
    MandateRow,
    MemberRow,
    ProposalRow,
    RecordRow,
    RulesRow,
    ScoreRow,
)
from credo.store.sql.consultations import FLAG_THRESHOLD, SHOWN
from credo.store.sqlite import SqliteStore

MEMORY = ":memory:"
"""The location of a private, throw-away store (a replay for `credo verify`)."""

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""How a PostgreSQL location starts: a libpq connection URL."""


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def without_password(location: str) -> str:
    """A PostgreSQL URL without its password (in the user part or a ``password=``
    parameter), for writing down or showing; other locations unchanged."""
    if not is_postgres(location):
        return location
    parts = urlsplit(location)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = parts.query
    params = parse_qsl(query, keep_blank_values=True)
    if any(k == "password" for k, _ in params):
        query = urlencode([(k, v) for k, v in params if k != "password"], quote_via=quote)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def open_store(location: str | Path, *, readonly: bool = False) -> Store:
    """Open the store at ``location``: a PostgreSQL URL (``postgresql://...``), a SQLite file
    path (``sqlite:`` prefix optional) or `MEMORY`: `store_at` and `Store.open`."""
    return store_at(location, readonly=readonly).open()


def store_at(location: str | Path, *, readonly: bool = False) -> Store:
    """The store at ``location``, not opened yet: nothing is connected or created until its
    `Store.open` (a node opens it when it starts). The one place that maps a location to a
    backend."""
    if is_postgres(location):
        from credo.store.postgres import PostgresStore  # psycopg only for those who use it

        return PostgresStore(str(location), readonly=readonly)
    return SqliteStore(str(location).removeprefix("sqlite:"), readonly=readonly)


__all__ = [
    "CORRUPT_LOG",
    "FLAG_THRESHOLD",
    "MEMORY",
    "PERSONAL_TABLES",
    "POSTGRES_SCHEMES",
    "SHOWN",
    "AccessRow",
    "AttestationRow",
    "CheckpointRow",
    "ConsentRow",
    "ConsultationReader",
    "ConsultationRow",
    "ConsultationWriter",
    "DecisionRow",
    "DisputeRow",
    "LeaseRow",
    "LogReader",
    "MandateRow",
    "MemberRow",
    "OpinionVoteRow",
    "PeopleReader",
    "PeopleWriter",
    "ProgrammeReader",
    "ProgrammeWriter",
    "ProposalRow",
    "PublishedRow",
    "RecordRow",
    "RulesRow",
    "ScoreRow",
    "StateReader",
    "StatementRow",
    "Store",
    "TranslationRow",
    "WriteTx",
    "is_postgres",
    "open_store",
    "store_at",
    "without_password",
]
