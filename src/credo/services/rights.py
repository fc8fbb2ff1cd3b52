"""A person's rights: to see everything held about them (`Rights.export`, and the views the
portal shows, built by the same functions) and to be forgotten (`Rights.erase`).

Erasure writes its log entry first and destroys the person's keys after: if the entry is
refused or its write fails, nothing is destroyed and the person is whole; if destroying the
keys fails once the entry is on the log, erasing again finishes it (the entry is not written
twice). No order can leave the log saying "still here" about a person whose keys are gone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from credo.ledger.entries import statement_of
from credo.ledger.kinds.disputes import answer_days
from credo.ledger.personal import open_statements
from credo.ledger.schema import rfc3339
from credo.services.views import (
    AccessView,
    BasisView,
    ConsentView,
    DisputeView,
    EntryView,
    Export,
    LogView,
    ProgrammeView,
    ScoreView,
    access_view,
    consent_view,
    dispute_view,
)
from credo.store import DisputeRow

if TYPE_CHECKING:
    from credo.services.people import People


class Rights:
    """What a person may see and ask of credo, through `People` (``people.rights``)."""

    def __init__(self, people: People) -> None:
        self.people = people

    # -- what is held ----------------------------------------------------------------------

    def consents_of(self, ref: str) -> list[ConsentView]:
        """The person's consents, each with its status now (the people's clock)."""
        now = self.people.clock()
        return [consent_view(c, now) for c in self.people.store.consents_of(ref)]

    def access_of(self, ref: str) -> list[AccessView]:
        """Every access to the person's data, granted and refused, in log order, each with
        its basis spelt out: the consent it relied on or the mandate's legal ground."""
        return [access_view(a, self._basis(ref, a.basis)) for a in self.people.store.access_of(ref)]

    def _basis(self, ref: str, basis: str) -> BasisView:
        store = self.people.store
        kind, _, basis_id = basis.partition(":")
        if kind == "consent":
            consent = store.get_consent(basis_id)
            return BasisView(kind, basis_id, consent is not None and consent.subject == ref)
        if kind == "mandate":
            mandate = store.get_mandate(basis_id)
            reference = None if mandate is None else mandate.legal_reference
            return BasisView(kind, basis_id, mandate is not None, reference)
        return BasisView(kind, basis_id, False)

    def disputes(self, rows: list[DisputeRow]) -> list[DisputeView]:
        """Disputes as people and members read them: who must answer, and by when."""
        store = self.people.store
        days = answer_days(store)
        views = []
        for d in rows:
            record = store.get_record(d.record_id)
            views.append(dispute_view(d, None if record is None else record.member, days))
        return views

    def entries_of(self, ref: str) -> list[EntryView]:
        """Every entry about the person with its metadata opened, so that the person can
        check each against the log: the entry is there (inclusion proof) and its commitment
        is SHA-256 of ``"credo-meta-v1" NUL`` and the canonical JSON of ``metadata``."""
        store, vault = self.people.store, self.people.vault
        out = []
        indexes = store.entries_of(ref)
        statements = [statement_of(entry) for entry in store.entries_at(indexes)]
        opened_all = open_statements(vault, statements)
        for index, statement, opened in zip(indexes, statements, opened_all, strict=True):
            metadata = None
            if opened is not None and opened.plaintext is not None:
                metadata = json.loads(opened.plaintext)
            out.append(
                EntryView(index, statement["kind"], statement["by"], statement["at"], metadata)
            )
        return out

    def programme_of(self, ref: str) -> ProgrammeView:
        store = self.people.store
        row = store.get_score(ref)
        score = None
        if row is not None:
            score = ScoreView(row.score, row.tier, row.rules_hash, rfc3339(row.as_of))
        return ProgrammeView(store.is_enrolled(ref), score)

    def export(self, national_id: str) -> Export:
        """Everything held about a person: records (opened), every access, every consent,
        dispute and entry, with log positions a verifier can check against the log."""
        return self.export_of(self.people.ref_of(national_id))

    def export_of(self, ref: str) -> Export:
        """`export` for a person known by their subject ref."""
        people = self.people
        store = people.store
        checkpoint = store.latest_checkpoint()
        disputed = people.records.disputed(ref)
        return Export(
            subject=ref,
            generated_at=people.now(),
            log=LogView(people.writer.origin, checkpoint.decode() if checkpoint else None),
            records=tuple(people.records.open_all(ref, store.records_of(ref), disputed)),
            access=tuple(self.access_of(ref)),
            consents=tuple(self.consents_of(ref)),
            disputes=tuple(self.disputes(store.disputes_of(ref))),
            programme=self.programme_of(ref),
            entries=tuple(self.entries_of(ref)),
        )

    # -- being forgotten -------------------------------------------------------------------

    def erase(self, national_id: str) -> dict[str, int]:
        """Forget the person: log the erasure of their ref (so no reader or scorer uses its
        records again), then destroy their keys and payloads in the vault."""
        return self.erase_subject(self.people.ref_of(national_id))

    def erase_subject(self, ref: str) -> dict[str, int]:
        """`erase` for a person known by their subject ref: ``index`` is the erasure's log
        entry (an earlier, interrupted erasure's if it wrote one), ``payloads_destroyed`` how
        many ciphertexts went now.

        The entry first: its tag comes from the master key, not the person's, so it can be
        made while their key still exists, and a refused or failed write leaves the person
        whole. The keys after: were their destruction to fail, the log already says erased
        (the derived tables are emptied with the entry) and calling this again destroys them.
        """
        people = self.people
        if people.store.is_subject_erased(ref):  # an earlier erasure stopped after its entry
            index = max(people.store.entries_of(ref))  # the erasure: nothing follows it
        else:
            body = {"tag": people.vault.entry_tag(ref)}
            index = people.submit_as_operator("subject.erase", body, people.now()).index
        destroyed = people.vault.erase(ref=ref)
        return {"payloads_destroyed": destroyed, "index": index}
