"""Reads and writes of people's-data state: records, consents, mandates, access (mixins of
the store, like `programme`).

Metadata only (subject refs, categories, commitments, tuples of names as JSON lists): payloads
live encrypted in the vault and national ids are never stored anywhere.
"""

from __future__ import annotations

from credo.store._encoding import ACCESS as _ACCESS
from credo.store._encoding import CONSENT as _CONSENT
from credo.store._encoding import MANDATE as _MANDATE
from credo.store._encoding import PEOPLE_DERIVED as PEOPLE_DERIVED
from credo.store._encoding import RECORD as _RECORD
from credo.store._encoding import access_row as _access
from credo.store._encoding import consent_row as _consent
from credo.store._encoding import mandate_row as _mandate
from credo.store._encoding import record_row as _record
from credo.store._encoding import values as _values
from credo.store.rows import AccessRow, ConsentRow, MandateRow, RecordRow
from credo.store.sql.base import Queries, insert, select


class PeopleQueries(Queries):
    def get_record(self, record_id: str) -> RecordRow | None:
        row = self._one(select("records", _RECORD, "record_id = ?"), (record_id,))
        return None if row is None else _record(row)

    def records_of(self, subject: str) -> list[RecordRow]:
        rows = self._rows(select("records", _RECORD, "subject = ?", "put_idx"), (subject,))
        return [_record(r) for r in rows]

    def records_of_type(self, subject: str, type_: str) -> list[RecordRow]:
        where = "subject = ? AND type = ?"
        rows = self._rows(select("records", _RECORD, where, "put_idx"), (subject, type_))
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
        row = self._one("SELECT 1 FROM erased_subjects WHERE subject = ?", (subject,))
        return row is not None

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


_PUT_RECORD = insert("records", _RECORD, upsert=("record_id",))
_PUT_CONSENT = insert("consents", _CONSENT, upsert=("id",))
_PUT_MANDATE = insert("mandates", _MANDATE, upsert=("id",))
_ADD_ACCESS = insert("access", _ACCESS)
_ADD_TAG = insert("entry_tags", ("tag", "idx", "subject"))
_ERASE = insert("erased_subjects", ("subject", "erased_idx"))


class PeopleWrites(PeopleQueries):
    def put_record(self, row: RecordRow) -> None:
        self._exec(_PUT_RECORD, _values(row, _RECORD))

    def put_consent(self, row: ConsentRow) -> None:
        self._exec(_PUT_CONSENT, _values(row, _CONSENT))

    def put_mandate(self, row: MandateRow) -> None:
        self._exec(_PUT_MANDATE, _values(row, _MANDATE))

    def add_access(self, row: AccessRow) -> None:
        self._insert_new(_ADD_ACCESS, _values(row, _ACCESS), f"access at {row.idx}")

    def add_tag(self, tag: str, idx: int, subject: str | None) -> None:
        self._insert_new(_ADD_TAG, (tag, idx, subject), f"tag {tag!r}")

    def erase_subject(self, subject: str, idx: int) -> None:
        """Mark the subject erased and delete what the ledger held about them: a replay
        cannot open their entries any more, so it rebuilds exactly this."""
        self._insert_new(_ERASE, (subject, idx), "the subject's erasure")
        for table in ("records", "consents", "access", "disputes"):
            self._exec(f"DELETE FROM {table} WHERE subject = ?", (subject,))  # noqa: S608
