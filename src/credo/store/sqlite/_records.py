"""SQLite reads and writes of people's-data state: records, consents, mandates, access.

Metadata only (subject refs, categories, commitments): payloads live encrypted in the vault
and national ids are never stored anywhere. Mixins of `SqliteStore`, like `_programme`.
"""

from __future__ import annotations

import json

from credo.store.rows import AccessRow, ConsentRow, MandateRow, RecordRow, columns
from credo.store.sqlite._base import Queries, Row, insert, select

PEOPLE_DERIVED = ("records", "consents", "mandates", "access", "erased_subjects")

_RECORD = columns(RecordRow)
_CONSENT = columns(ConsentRow)
_MANDATE = columns(MandateRow)
_ACCESS = columns(AccessRow)


def _list(value: object) -> tuple[str, ...]:
    return tuple(json.loads(str(value)))


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def _record(r: Row) -> RecordRow:
    return RecordRow(**dict(zip(_RECORD, r, strict=True)))


def _consent(r: Row) -> ConsentRow:
    d = dict(zip(_CONSENT, r, strict=True))
    return ConsentRow(**(d | {"categories": _list(d["categories"])}))


def _mandate(r: Row) -> MandateRow:
    d = dict(zip(_MANDATE, r, strict=True))
    lists = {k: _list(d[k]) for k in ("categories", "members", "sectors")}
    return MandateRow(**(d | lists))


def _access(r: Row) -> AccessRow:
    d = dict(zip(_ACCESS, r, strict=True))
    lists = {k: _list(d[k]) for k in ("categories_requested", "categories_granted", "record_ids")}
    return AccessRow(**(d | lists))


class PeopleQueries(Queries):
    def get_record(self, record_id: str) -> RecordRow | None:
        row = self._one(select("records", _RECORD, "record_id = ?"), (record_id,))
        return None if row is None else _record(row)

    def records_of(self, subject: str) -> list[RecordRow]:
        rows = self._rows(select("records", _RECORD, "subject = ?", "put_idx"), (subject,))
        return [_record(r) for r in rows]

    def get_consent(self, consent_id: str) -> ConsentRow | None:
        row = self._one(select("consents", _CONSENT, "id = ?"), (consent_id,))
        return None if row is None else _consent(row)

    def consents_of(self, subject: str) -> list[ConsentRow]:
        rows = self._rows(select("consents", _CONSENT, "subject = ?", "granted_idx"), (subject,))
        return [_consent(r) for r in rows]

    def get_mandate(self, mandate_id: str) -> MandateRow | None:
        row = self._one(select("mandates", _MANDATE, "id = ?"), (mandate_id,))
        return None if row is None else _mandate(row)

    def list_mandates(self) -> list[MandateRow]:
        return [_mandate(r) for r in self._rows(select("mandates", _MANDATE, order="adopted_idx"))]

    def access_of(self, subject: str) -> list[AccessRow]:
        rows = self._rows(select("access", _ACCESS, "subject = ?", "idx"), (subject,))
        return [_access(r) for r in rows]

    def is_subject_erased(self, subject: str) -> bool:
        return self._one("SELECT 1 FROM erased_subjects WHERE subject = ?", (subject,)) is not None


class PeopleWrites(PeopleQueries):
    def put_record(self, row: RecordRow) -> None:
        self._exec(insert("records", _RECORD, replace=True), _values(row, _RECORD))

    def put_consent(self, row: ConsentRow) -> None:
        self._exec(insert("consents", _CONSENT, replace=True), _values(row, _CONSENT))

    def put_mandate(self, row: MandateRow) -> None:
        self._exec(insert("mandates", _MANDATE, replace=True), _values(row, _MANDATE))

    def add_access(self, row: AccessRow) -> None:
        self._exec(insert("access", _ACCESS), _values(row, _ACCESS))

    def erase_subject(self, subject: str, idx: int) -> None:
        """Mark the subject erased and its records unreadable (their payloads are shredded)."""
        self._exec(
            "INSERT INTO erased_subjects (subject, erased_idx) VALUES (?, ?)", (subject, idx)
        )
        self._exec(
            "UPDATE records SET status = 'erased', updated_idx = ? WHERE subject = ?",
            (idx, subject),
        )


def _values(row: object, cols: tuple[str, ...]) -> tuple[object, ...]:
    """A row's values in column order, each tuple of names stored as a JSON list."""
    values = (getattr(row, c) for c in cols)
    return tuple(_json(v) if isinstance(v, tuple) else v for v in values)
