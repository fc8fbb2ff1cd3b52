"""A consultation's results (issue 29), wired onto the pure analysis in `credo.consultation`.

Three things here, and no arithmetic of the analysis itself:

- **The live result.** The vote matrix is read from the current votes (each participant
  under a per-consultation pseudonym, `pseudonym`, never their participant id) and analysed
  on demand; the result is cached under `consultation_version` (the latest vote, statement,
  decision and flag), so a page asking again after new votes gets a new result at once
  and a page asking again without them costs one small query and no analysis.
- **Publishing.** ``publish`` stores the matrix and result documents by their SHA-256 in
  DATA/documents and logs a ``consultation.result`` entry naming both hashes, the algorithm
  version and the parameters with their seed; anyone can fetch the three and recompute
  (`credo.client.consultation.verify_published`).
- **Pol.is data.** ``import_polis`` brings an open-data export in as a closed consultation:
  one ``consultation.import`` entry naming the hash of the conversation (comments and every
  vote, as exported) and of its vote matrix, the documents stored beside it, then its
  result published like any other. ``export_polis`` writes the same four files back.

An imported conversation's participants are Pol.is's own anonymous ids: there is nobody to
seal an entry for, and inventing personal entries would pretend those votes were cast here.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credo.consultation import (
    ALGORITHM,
    ALGORITHM_VERSION,
    Params,
    PolisComment,
    PolisExport,
    PolisVote,
    Result,
    Vote,
    VoteMatrix,
    analyse,
    matrix_bytes,
    parse_matrix,
    parse_result,
    previous_of,
    read_polis,
    result_bytes,
    write_polis,
)
from credo.errors import InputError, NotFound, PermissionDenied
from credo.ledger.keys import MemberKey
from credo.ledger.kinds.consultations import LANGS, moderators_of
from credo.ledger.schema import parse_utc, utc_now
from credo.ledger.sequencer import Accepted
from credo.services.consultations import Consultations
from credo.store import SHOWN, ConsultationRow, PublishedRow

CONVERSATION_FORMAT = "credo-polis-conversation/1"
PSEUDONYM_CONTEXT = "credo.consultation.pseudonym/1"
VOTE_VALUE = {"agree": 1, "disagree": -1, "pass": 0}
SUPPRESS_UNDER = 10
"""Participation counts under this are shown as "fewer than 10": a language version read by
three people would otherwise point at them."""


def pseudonym(consultation_id: str, participant: str) -> str:
    """A participant's name in the published matrix: a one-way function of their
    participant id (itself unlinkable across consultations), so publishing it reveals
    nothing the sealed entries hide. 64 bits: no collision among millions of participants."""
    data = f"{PSEUDONYM_CONTEXT}\0{consultation_id}\0{participant}".encode()
    return hashlib.sha256(data).hexdigest()[:16]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Documents:
    """Published documents, content-addressed: DATA/documents/<sha256>. A document is
    written once, atomically, and read back only if its bytes still hash to its name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        path = self.root / digest
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFound("no such document", code="unknown_document")
        path = self.root / digest
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("no such document", code="unknown_document") from None
        if sha256_hex(data) != digest:
            raise NotFound("the stored document is damaged", code="unknown_document")
        return data


# -- the conversation document (an imported Pol.is export, canonical) -----------------------


def conversation_bytes(export: PolisExport) -> bytes:
    """The whole conversation as imported: every comment and every vote (changed votes
    included) and the summary lines, as canonical JSON. The group ids are left out: they
    are the exporting tool's result, not its data."""
    doc = {
        "format": CONVERSATION_FORMAT,
        "comments": [
            [
                c.timestamp,
                c.datetime,
                c.comment_id,
                c.author_id,
                c.agrees,
                c.disagrees,
                c.moderated,
                c.body,
            ]
            for c in export.comments
        ],
        "votes": [
            [v.timestamp, v.datetime, v.comment_id, v.voter_id, v.vote] for v in export.votes
        ],
        "summary": [list(line) for line in export.summary],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_conversation(data: bytes) -> PolisExport:
    try:
        doc = json.loads(data)
        if doc.get("format") != CONVERSATION_FORMAT:
            raise ValueError("format")
        comments = tuple(
            PolisComment(int(t), str(cid), str(a), int(ag), int(dis), int(m), str(b), d)
            for t, d, cid, a, ag, dis, m, b in doc["comments"]
        )
        votes = tuple(
            PolisVote(int(t), str(cid), str(voter), int(v), d)
            for t, d, cid, voter, v in doc["votes"]
        )
        summary = tuple((str(k), str(v)) for k, v in doc["summary"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a {CONVERSATION_FORMAT} document", code="bad_document") from exc
    return PolisExport(comments, votes, {}, summary)


@dataclass(frozen=True)
class Live:
    """A consultation's current result and the documents it was computed from."""

    version: tuple[int, ...]
    matrix: VoteMatrix
    matrix_doc: bytes
    result: Result
    result_doc: bytes
    params: Params


@dataclass(frozen=True)
class StatementText:
    id: str
    text: str
    lang: str | None
    original: str
    original_lang: str | None
    translator: str | None


class ConsultationResults:
    """Results over one node: ``documents`` is where published documents are kept
    (DATA/documents)."""

    def __init__(self, consultations: Consultations, documents: Path) -> None:
        self.c = consultations
        self.store = consultations.store
        self.documents = Documents(documents)
        self._cache: dict[str, Live] = {}
        self._lock = threading.Lock()

    # -- reading the votes --------------------------------------------------------------

    def imported(self, c: ConsultationRow) -> PublishedRow | None:
        found = [p for p in self.store.published_in(c.id) if p.kind == "import"]
        return found[0] if found else None

    def latest_published(self, consultation_id: str) -> PublishedRow | None:
        found = [p for p in self.store.published_in(consultation_id) if p.kind == "result"]
        return found[-1] if found else None

    def conversation(self, c: ConsultationRow) -> PolisExport | None:
        imported = self.imported(c)
        if imported is None or imported.conversation is None:
            return None
        return parse_conversation(self.documents.get(imported.conversation))

    def _matrix(self, c: ConsultationRow) -> VoteMatrix:
        imported = self.imported(c)
        if imported is not None:
            return parse_matrix(self.documents.get(imported.matrix))
        shown = [s.id for s in self.store.statements_in(c.id) if s.status in SHOWN]
        listed = set(shown)
        votes = (
            Vote(pseudonym(c.id, participant), statement, VOTE_VALUE[vote], lang)
            for participant, statement, vote, lang in self.store.opinion_votes_in(c.id)
            if statement in listed
        )
        return VoteMatrix.build(shown, votes)

    def _params(self, c: ConsultationRow) -> Params:
        """The published defaults with seed 0; an imported Pol.is conversation keeps its
        moderated-out statements as Pol.is did; later updates carry the last published
        result over so the groups stay put."""
        export = self.conversation(c)
        zeroed = export.moderated_out() if export is not None else 0
        last = self.latest_published(c.id)
        previous = None
        if last is not None and last.result is not None and export is None:
            previous = previous_of(parse_result(self.documents.get(last.result)))
        return Params(zeroed_statements=zeroed, previous=previous)

    def live(self, consultation_id: str) -> Live:
        """The current result, recomputed only when a vote, statement, decision or flag
        changed since (the cache's key, `consultation_version`)."""
        c = self.c.consultation(consultation_id)
        version = self.store.consultation_version(c.id)
        with self._lock:
            held = self._cache.get(c.id)
            if held is not None and held.version == version:
                return held
            matrix = self._matrix(c)
            params = self._params(c)
            result = analyse(matrix, params)
            live = Live(version, matrix, matrix_bytes(matrix), result, result_bytes(result), params)
            self._cache[c.id] = live
            return live

    def etag(self, consultation_id: str) -> str:
        """A cheap tag of the result's state: one query, no analysis."""
        version = self.store.consultation_version(self.c.consultation(consultation_id).id)
        return sha256_hex(repr((consultation_id, version)).encode())[:20]

    # -- publishing ---------------------------------------------------------------------

    def publish(self, member: str, key: MemberKey, consultation_id: str) -> Accepted:
        """Store the current matrix and result documents and log the ``consultation.result``
        naming them (the convener or the operator signs)."""
        live = self.live(consultation_id)
        matrix = self.documents.put(live.matrix_doc)
        result = self.documents.put(live.result_doc)
        body = {
            "consultation": consultation_id,
            "algorithm": ALGORITHM,
            "version": ALGORITHM_VERSION,
            "params": live.params.model_dump(mode="json"),
            "seed": live.params.seed,
            "matrix": matrix,
            "result": result,
            "votes_through": self.store.tree_size(),
        }
        return self.c._submit("consultation.result", member, body, at=None, key=key)

    def published(self, consultation_id: str) -> dict[str, Any]:
        """The latest published result as the log names it (for `verify` and the page)."""
        c = self.c.consultation(consultation_id)
        last = self.latest_published(c.id)
        if last is None:
            raise NotFound("no result has been published yet", code="no_result")
        return {
            "consultation": c.id,
            "index": last.idx,
            "kind": "consultation.result",
            "matrix": last.matrix,
            "result": last.result,
            "params": json.loads(last.params or "{}"),
            "at": last.at,
            "imported": self.imported(c) is not None,
        }

    def published_document(self, consultation_id: str, which: str) -> bytes:
        info = self.published(consultation_id)
        return self.documents.get(info[which])

    # -- Pol.is ---------------------------------------------------------------------------

    def import_polis(
        self,
        member: str,
        key: MemberKey,
        directory: Path,
        consultation_id: str,
        *,
        question_lang: str = "en",
    ) -> str:
        """Import an export as a closed consultation and publish its result; the id."""
        if question_lang not in LANGS:
            raise InputError(f"language is one of {', '.join(LANGS)}", code="bad_language")
        if self.store.get_consultation(consultation_id) is not None:
            # the ledger refuses it too; checked first so no document is stored for nothing
            raise InputError(
                f"consultation {consultation_id!r} already exists", code="consultation_exists"
            )
        export = read_polis(directory)
        if not export.votes:
            raise InputError("the export holds no votes", code="bad_polis")
        conversation = conversation_bytes(export)
        matrix = export.matrix()
        summary = dict(export.summary)
        topic = (summary.get("topic") or consultation_id).strip()[:500] or consultation_id
        times = [v.timestamp for v in export.votes] + [c.timestamp for c in export.comments]
        body = {
            "id": consultation_id,
            "question": {question_lang: topic},
            "source": "polis",
            "source_url": summary.get("url", "")[:500],
            "licence": "CC BY 4.0" if (directory / "README.md").exists() else "",
            "conversation": self.documents.put(conversation),
            "matrix": self.documents.put(matrix_bytes(matrix)),
            "statements": len(matrix.statements),
            "participants": len(matrix.participants),
            "votes": matrix.n_votes,
            "opens_at": _iso(min(times)),
            "closes_at": _iso(max(times)),
        }
        self.c._submit("consultation.import", member, body, at=None, key=key)
        self.publish(member, key, consultation_id)
        return consultation_id

    def export_polis(self, consultation_id: str, out: Path) -> None:
        """Write comments.csv, votes.csv, participants-votes.csv (with each participant's
        group in the current result) and summary.csv."""
        c = self.c.consultation(consultation_id)
        live = self.live(c.id)
        export = self.conversation(c)
        if export is None:
            export = self._native_export(c, live)
        write_polis(out, export.with_groups(live.result.group_of()))

    def _native_export(self, c: ConsultationRow, live: Live) -> PolisExport:
        """A native consultation in Pol.is's shape: statements by their position, voters by
        pseudonym; authors are not published (the export is public), and votes carry the
        consultation's closing or current time, since only current votes are kept."""
        statements = [s for s in self.store.statements_in(c.id) if s.status in SHOWN]
        number = {s.id: str(n) for n, s in enumerate(statements)}
        when = _ms(c.closed_at or utc_now())
        counts = {s.id: (s.agree, s.disagree) for s in statements}
        comments = tuple(
            PolisComment(
                _ms(s.submitted_at), number[s.id], "", counts[s.id][0], counts[s.id][1],
                1 if s.status == "accepted" else 0, s.text,
            )
            for s in statements
        )  # fmt: skip
        votes = tuple(
            PolisVote(when, number[v.statement], v.participant, v.value)
            for v in live.matrix.votes()
            if v.statement in number
        )
        question: dict[str, str] = json.loads(c.question)
        return PolisExport(comments, votes, {}, (("topic", next(iter(question.values()))),))

    # -- what a page shows ----------------------------------------------------------------

    def texts(self, consultation_id: str, reader: str) -> dict[str, StatementText]:
        """Each analysed statement's text for a reader (translations as the voting pages
        show them); an imported one's as exported."""
        c = self.c.consultation(consultation_id)
        export = self.conversation(c)
        if export is not None:
            return {
                x.comment_id: StatementText(x.comment_id, x.body, None, x.body, None, None)
                for x in export.comments
            }
        return {
            s.id: StatementText(s.id, s.text, s.lang, s.original, s.original_lang, s.translator)
            for s in self.c.statements(c.id, reader)
        }

    def standing(self, subject: str, consultation_id: str) -> dict[str, Any] | None:
        """Where a signed-in participant stands: their pseudonym (their row in the published
        matrix) and their group, or None if they have not voted here."""
        c = self.c.consultation(consultation_id)
        participant = self.c.vault.participant(subject, c.id)
        if participant is None:
            return None
        mine = pseudonym(c.id, participant)
        live = self.live(c.id)
        if mine not in live.matrix.participants:
            return None
        group = live.result.group_of().get(mine)
        label = None
        if group is not None:
            label = next((g.label for g in live.result.groups if g.id == group), None)
        return {"pseudonym": mine, "group": group, "label": label}

    def queue(self, moderator: str, consultation_id: str) -> list[dict[str, Any]]:
        """The moderator's queue with translation drift: each statement item says whether
        its agreement differs between language versions beyond chance, and every drifting
        statement already decided is listed too (kind "drift") for a moderator to check
        its translations."""
        c = self.c.consultation(consultation_id)
        if moderator not in moderators_of(c):
            raise PermissionDenied("you do not moderate this consultation", code="not_moderator")
        items = self.c.review_queue(moderator, c.id)
        live = self.live(c.id)
        drift = {s.id: s.drift for s in live.result.statements if s.drift is not None}
        flagged = set(live.result.drift)
        for item in items:
            if item["kind"] == "statement":
                item["drift"] = item["item"] in flagged
        listed = {i["item"] for i in items}
        texts = {s.id: s for s in self.store.statements_in(c.id)}
        for sid in sorted(flagged - listed):
            found = drift.get(sid)
            s = texts.get(sid)
            if s is None or found is None:
                continue
            items.append(
                {
                    "item": sid,
                    "kind": "drift",
                    "lang": s.lang,
                    "text": s.text,
                    "status": s.status,
                    "drift": True,
                    "q": found.q,
                    "agree_share": {
                        v.language: None if v.agree_share is None else v.agree_share.value
                        for v in found.versions
                    },
                }
            )
        return items


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(ts: str) -> int:
    return int(parse_utc(ts).timestamp() * 1000)


def suppressed(count: int) -> int | None:
    """A participation count as published: None (shown "fewer than 10") under 10."""
    return count if count >= SUPPRESS_UNDER else None


__all__: Sequence[str] = [
    "ConsultationResults",
    "Documents",
    "Live",
    "conversation_bytes",
    "parse_conversation",
    "pseudonym",
    "suppressed",
]
