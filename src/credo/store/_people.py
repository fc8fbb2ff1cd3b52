"""SQLite reads and writes of people's-data state: records, consents, mandates, access.

Metadata only (subject refs, categories, commitments): payloads live encrypted in the vault and
national ids are never stored anywhere. Mixins of the SQLite store, like `_programme`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol

from credo.errors import StoreError

PEOPLE_DERIVED = ("records", "consents", "mandates", "access", "erased_subjects")


@dataclass(frozen=True, slots=True)
class RecordRow:
    record_id: str
    subject: str
    category: str
    type: str
    effective_at: str
    commitment: str
    vault_key: str
    member: str
    status: str  # active | retracted | erased
    put_idx: int
    updated_idx: int
    put_at: str


@dataclass(frozen=True, slots=True)
class ConsentRow:
    id: str
    subject: str
    member: str
    purpose: str
    categories: tuple[str, ...]
    valid_from: str
    valid_until: str
    granted_idx: int
    revoked_idx: int | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True, slots=True)
class MandateRow:
    id: str
    purpose: str
    categories: tuple[str, ...]
    members: tuple[str, ...]
    sectors: tuple[str, ...]
    legal_reference: str
    valid_from: str
    valid_until: str | None
    adopted_idx: int
    repealed_idx: int | None = None


@dataclass(frozen=True, slots=True)
class AccessRow:
    idx: int
    at: str
    subject: str | None
    member: str
    purpose: str
    basis: str
    categories_requested: tuple[str, ...]
    categories_granted: tuple[str, ...]
    outcome: str  # granted | refused
    reason: str
    record_ids: tuple[str, ...]
    request_digest: str


class PeopleReader(Protocol):
    def get_record(self, record_id: str) -> RecordRow | None: ...

    def records_of(self, subject: str) -> list[RecordRow]: ...

    def get_consent(self, consent_id: str) -> ConsentRow | None: ...

    def consents_of(self, subject: str) -> list[ConsentRow]: ...

    def get_mandate(self, mandate_id: str) -> MandateRow | None: ...

    def list_mandates(self) -> list[MandateRow]: ...

    def access_of(self, subject: str) -> list[AccessRow]: ...

    def is_subject_erased(self, subject: str) -> bool: ...


class PeopleWriter(PeopleReader, Protocol):
    def put_record(self, row: RecordRow) -> None: ...

    def put_consent(self, row: ConsentRow) -> None: ...

    def put_mandate(self, row: MandateRow) -> None: ...

    def add_access(self, row: AccessRow) -> None: ...

    def erase_subject(self, subject: str, idx: int) -> None: ...


def _list(value: object) -> tuple[str, ...]:
    return tuple(json.loads(str(value)))


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def _record(r: tuple[Any, ...]) -> RecordRow:
    return RecordRow(*r)


def _consent(r: tuple[Any, ...]) -> ConsentRow:
    return ConsentRow(r[0], r[1], r[2], r[3], _list(r[4]), r[5], r[6], r[7], r[8], r[9])


def _mandate(r: tuple[Any, ...]) -> MandateRow:
    return MandateRow(
        r[0], r[1], _list(r[2]), _list(r[3]), _list(r[4]), r[5], r[6], r[7], r[8], r[9]
    )


def _access(r: tuple[Any, ...]) -> AccessRow:
    return AccessRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        _list(r[6]),
        _list(r[7]),
        r[8],
        r[9],
        _list(r[10]),
        r[11],
    )


class PeopleQueries:
    conn: sqlite3.Connection

    def _people_rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self.conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from exc

    def get_record(self, record_id: str) -> RecordRow | None:
        rows = self._people_rows("SELECT * FROM records WHERE record_id = ?", (record_id,))
        return _record(rows[0]) if rows else None

    def records_of(self, subject: str) -> list[RecordRow]:
        rows = self._people_rows(
            "SELECT * FROM records WHERE subject = ? ORDER BY put_idx", (subject,)
        )
        return [_record(r) for r in rows]

    def get_consent(self, consent_id: str) -> ConsentRow | None:
        rows = self._people_rows("SELECT * FROM consents WHERE id = ?", (consent_id,))
        return _consent(rows[0]) if rows else None

    def consents_of(self, subject: str) -> list[ConsentRow]:
        rows = self._people_rows(
            "SELECT * FROM consents WHERE subject = ? ORDER BY granted_idx", (subject,)
        )
        return [_consent(r) for r in rows]

    def get_mandate(self, mandate_id: str) -> MandateRow | None:
        rows = self._people_rows("SELECT * FROM mandates WHERE id = ?", (mandate_id,))
        return _mandate(rows[0]) if rows else None

    def list_mandates(self) -> list[MandateRow]:
        return [
            _mandate(r) for r in self._people_rows("SELECT * FROM mandates ORDER BY adopted_idx")
        ]

    def access_of(self, subject: str) -> list[AccessRow]:
        rows = self._people_rows("SELECT * FROM access WHERE subject = ? ORDER BY idx", (subject,))
        return [_access(r) for r in rows]

    def is_subject_erased(self, subject: str) -> bool:
        rows = self._people_rows("SELECT 1 FROM erased_subjects WHERE subject = ?", (subject,))
        return bool(rows)


class PeopleWrites(PeopleQueries):
    def _people_write(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            self.conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from exc

    def put_record(self, row: RecordRow) -> None:
        self._people_write(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.record_id,
                row.subject,
                row.category,
                row.type,
                row.effective_at,
                row.commitment,
                row.vault_key,
                row.member,
                row.status,
                row.put_idx,
                row.updated_idx,
                row.put_at,
            ),
        )

    def put_consent(self, row: ConsentRow) -> None:
        self._people_write(
            "INSERT OR REPLACE INTO consents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.subject,
                row.member,
                row.purpose,
                _json(row.categories),
                row.valid_from,
                row.valid_until,
                row.granted_idx,
                row.revoked_idx,
                row.revoke_reason,
            ),
        )

    def put_mandate(self, row: MandateRow) -> None:
        self._people_write(
            "INSERT OR REPLACE INTO mandates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.purpose,
                _json(row.categories),
                _json(row.members),
                _json(row.sectors),
                row.legal_reference,
                row.valid_from,
                row.valid_until,
                row.adopted_idx,
                row.repealed_idx,
            ),
        )

    def add_access(self, row: AccessRow) -> None:
        self._people_write(
            "INSERT INTO access VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.idx,
                row.at,
                row.subject,
                row.member,
                row.purpose,
                row.basis,
                _json(row.categories_requested),
                _json(row.categories_granted),
                row.outcome,
                row.reason,
                _json(row.record_ids),
                row.request_digest,
            ),
        )

    def erase_subject(self, subject: str, idx: int) -> None:
        """Mark the subject erased and its records unreadable (their payloads are shredded)."""
        self._people_write("INSERT INTO erased_subjects VALUES (?, ?)", (subject, idx))
        self._people_write(
            "UPDATE records SET status = 'erased', updated_idx = ? WHERE subject = ?",
            (idx, subject),
        )
