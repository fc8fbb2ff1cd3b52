"""SQLite reads and writes of people's-data state: records, consents, mandates, access.

Metadata only (subject refs, categories, commitments): payloads live encrypted in the vault
and national ids are never stored anywhere. Mixins of `SqliteStore`, like `_programme`.
"""

from __future__ import annotations

import json

from credo.store.rows import AccessRow, ConsentRow, MandateRow, RecordRow, columns
from credo.store.sqlite._base import Queries, Row, insert, select

PEOPLE_DERIVED = ("records", "consents", "mandates", "access", "erased_subjects", "entry_tags")

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

    def tag_index(self, tag: str) -> int | None:
        row = self._one("SELECT idx FROM entry_tags WHERE tag = ?", (tag,))
        return None if row is None else int(row[0])

    def tag_subject(self, tag: str) -> str | None:
        row = self._one("SELECT subject FROM entry_tags WHERE tag = ?", (tag,))
        return None if row is None or row[0] is None else str(row[0])

    def is_known(self, subject: str) -> bool:
        return (
            self._one("SELECT 1 FROM entry_tags WHERE subject = ? LIMIT 1", (subject,)) is not None
        )

    def entries_of(self, subject: str) -> list[int]:
        rows = self._rows("SELECT idx FROM entry_tags WHERE subject = ? ORDER BY idx", (subject,))
        return [int(r[0]) for r in rows]


class PeopleWrites(PeopleQueries):
    def put_record(self, row: RecordRow) -> None:
        self._exec(insert("records", _RECORD, replace=True), _values(row, _RECORD))

    def put_consent(self, row: ConsentRow) -> None:
        self._exec(insert("consents", _CONSENT, replace=True), _values(row, _CONSENT))

    def put_mandate(self, row: MandateRow) -> None:
        self._exec(insert("mandates", _MANDATE, replace=True), _values(row, _MANDATE))

    def add_access(self, row: AccessRow) -> None:
        self._exec(insert("access", _ACCESS), _values(row, _ACCESS))

    def add_tag(self, tag: str, idx: int, subject: str | None) -> None:
        self._exec(insert("entry_tags", ("tag", "idx", "subject")), (tag, idx, subject))

    def erase_subject(self, subject: str, idx: int) -> None:
        """Mark the subject erased and delete what the ledger held about them: a replay
        cannot open their entries any more, so it rebuilds exactly this."""
        self._exec(
            "INSERT INTO erased_subjects (subject, erased_idx) VALUES (?, ?)", (subject, idx)
        )
        for table in ("records", "consents", "access", "disputes"):
            self._exec(f"DELETE FROM {table} WHERE subject = ?", (subject,))  # noqa: S608


def _values(row: object, cols: tuple[str, ...]) -> tuple[object, ...]:
    """A row's values in column order, each tuple of names stored as a JSON list."""
    values = (getattr(row, c) for c in cols)
    return tuple(_json(v) if isinstance(v, tuple) else v for v in values)
