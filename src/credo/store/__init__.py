"""credo.store: the tables behind the log and the ledger's derived state, behind one Protocol."""

from credo.store.base import AttestationRow, MemberRow, Store, WriteTx
from credo.store.sqlite import SqliteStore

__all__ = ["AttestationRow", "MemberRow", "SqliteStore", "Store", "WriteTx"]
