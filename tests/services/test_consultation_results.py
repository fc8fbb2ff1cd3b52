"""A consultation's results through the services: the live result and its cache, a result
published on the log with its documents, pseudonyms in place of participant ids, drift in
the moderator's queue, and Pol.is data imported and exported (vTaiwan's UberX)."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.consultation import Params, parse_matrix, parse_result, read_polis, verify
from credo.errors import EntryRejected, PermissionDenied
from credo.ledger.entries import statement_of
from credo.ledger.replay import verify_store
from credo.services.consultation_results import ConsultationResults, pseudonym, sha256_hex
from credo.services.node import DataDir, Node
from tests.services.test_consultations import CID, World

POLIS = Path(
    os.environ.get("CREDO_POLIS_DATA", Path(__file__).parents[2] / ".." / "shared/data/polis")
)
VTAIWAN = POLIS / "vtaiwan.uberx"


class Results(World):
    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.r = ConsultationResults(self.c, node.data.root / "documents")

    def vote_all(self, n_statements: int = 4) -> list[str]:
        """Eight people, four statements, votes split in two camps."""
        self.open()
        sids = [
            self.c.submit_statement(self.subjects[i], CID, lang, text)
            for i, (lang, text) in enumerate(
                [
                    ("en", "More bike lanes"),
                    ("th", "ถนนควรปลอดภัยสำหรับเด็ก"),
                    ("zh-Hans", "减少老城区的汽车"),
                    ("en", "Keep parking as it is"),
                ][:n_statements]
            )
        ]
        for n, subject in enumerate(self.subjects):
            for k, sid in enumerate(sids):
                vote = "agree" if (n + k) % 2 == 0 else "disagree"
                self.c.vote(subject, CID, sid, vote, "en")
        return sids


@pytest.fixture
def res(data_dir: Path) -> Iterator[Results]:
    node = Node(DataDir(data_dir)).start()
    yield Results(node)
    node.close()


def test_a_published_result_names_its_documents_and_recomputes(res: Results) -> None:
    res.vote_all()
    accepted = res.r.publish("council", res.council, CID)
    info = res.r.published(CID)
    assert info["index"] == accepted.index
    statement = statement_of(res.node.store.read_entries(accepted.index, 1)[0])
    body = statement["body"]
    assert statement["kind"] == "consultation.result"
    assert (body["matrix"], body["result"]) == (info["matrix"], info["result"])
    assert body["seed"] == body["params"]["seed"] == 0
    matrix_doc = res.r.published_document(CID, "matrix")
    result_doc = res.r.published_document(CID, "result")
    verify(parse_matrix(matrix_doc), Params.model_validate(body["params"]), result_doc)
    # the matrix names participants by pseudonym, never by their participant id
    participants = {res.c.participant(s, CID) for s in res.subjects}
    matrix = parse_matrix(matrix_doc)
    assert set(matrix.participants) == {pseudonym(CID, p) for p in participants}
    assert not participants & set(matrix.participants)
    assert not any(p.encode() in matrix_doc + result_doc for p in participants)
    verify_store(res.node.store, opener=res.node.vault)


def test_only_the_convener_or_operator_publishes(res: Results) -> None:
    res.vote_all()
    from credo.ledger.keys import MemberKey
    from credo.services.node import admit_member

    other: MemberKey = admit_member(res.node, "other", "Other", "government", ["convener"])
    size = res.size()
    with pytest.raises(EntryRejected, match="convener or the operator"):
        res.r.publish("other", other, CID)
    assert res.size() == size


def test_the_live_result_follows_each_new_vote_and_is_cached_between(res: Results) -> None:
    sids = res.vote_all()
    first = res.r.live(CID)
    assert res.r.live(CID) is first  # nothing changed: no recomputation
    tag = res.r.etag(CID)
    res.c.vote(res.subjects[0], CID, sids[1], "pass", "th")
    second = res.r.live(CID)
    assert second is not first
    assert res.r.etag(CID) != tag
    assert second.result.matrix.sha256 != first.result.matrix.sha256
    # a participant finds their own row and group
    mine = res.r.standing(res.subjects[0], CID)
    assert mine is not None
    assert mine["pseudonym"] == pseudonym(CID, res.c.participant(res.subjects[0], CID))
    assert mine["pseudonym"] in second.matrix.participants


def test_drift_is_in_the_moderators_queue(res: Results) -> None:
    res.open()
    sid = res.c.submit_statement(res.subjects[0], CID, "en", "Close the old town to cars")
    more = [node_subject for node_subject in (f"DRIFT{n:04d}" for n in range(40))]
    people = [res.node.vault.ensure_subject(s) for s in more]
    for n, subject in enumerate(people):
        # read in Thai, nearly everyone agrees; read in English, nearly everyone disagrees
        lang = "th" if n % 2 == 0 else "en"
        vote = "agree" if (lang == "th") != (n % 10 == 1) else "disagree"
        res.c.vote(subject, CID, sid, vote, lang)
    queue = res.r.queue("watch", CID)
    drifting = [q for q in queue if q["item"] == sid]
    assert drifting
    assert all(q["drift"] for q in drifting)
    assert res.r.live(CID).result.drift == (sid,)
    with pytest.raises(PermissionDenied):
        res.r.queue("bank", CID)


def _pv_matrix(path: Path, kept: set[str]) -> dict[tuple[str, str], int]:
    """participants-votes.csv's own cells: participant x comment -> vote."""
    with (path / "participants-votes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        (row["participant"], cid): int(row[cid])
        for row in rows
        for cid in kept
        if row.get(cid, "") != ""
    }


@pytest.mark.skipif(not VTAIWAN.exists(), reason="the Pol.is open data is not here")
def test_vtaiwan_imports_exports_and_round_trips(res: Results, tmp_path: Path) -> None:
    size = res.size()
    res.r.import_polis("council", res.council, VTAIWAN, "vtaiwan-uberx", question_lang="zh-Hant")
    assert res.size() == size + 2  # consultation.import, then consultation.result
    c = res.c.consultation("vtaiwan-uberx")
    assert c.closed_idx == size
    assert c.moderation == "imported"
    live = res.r.live("vtaiwan-uberx")
    # the matrix is each participant's latest vote, as the export's participants-votes.csv
    export = read_polis(VTAIWAN)
    kept = {x.comment_id for x in export.comments if x.moderated != -1}
    expected = _pv_matrix(VTAIWAN, kept)
    got = {(v.participant, v.statement): v.value for v in live.matrix.votes()}
    assert got == expected
    assert len(live.matrix.participants) == len({p for p, _ in expected})
    # the published result is the live one, and checks out
    info = res.r.published("vtaiwan-uberx")
    assert info["result"] == sha256_hex(live.result_doc)
    published = res.r.published_document("vtaiwan-uberx", "result")
    verify(live.matrix, Params.model_validate(info["params"]), published)

    out = tmp_path / "out"
    res.r.export_polis("vtaiwan-uberx", out)
    again = res.r.import_polis("council", res.council, out, "vtaiwan-again", question_lang="en")
    first, second = res.r.imported(c), res.r.imported(res.c.consultation(again))
    assert first is not None
    assert second is not None
    assert (first.matrix, first.conversation) == (second.matrix, second.conversation)
    assert res.r.published("vtaiwan-again")["result"] == info["result"]

    # group-informed consensus = prod over groups (A_g + 1) / (S_g + 2), from the export
    with (out / "participants-votes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    result = parse_result(res.r.published_document("vtaiwan-uberx", "result"))
    groups = {row["group-id"] for row in rows if row["group-id"] != ""}
    assert len(groups) == len(result.groups) >= 2
    checked = 0
    for s in result.statements:
        if s.group_consensus is None:
            continue
        product = 1.0
        for g in sorted(groups):
            cells = [row[s.id] for row in rows if row["group-id"] == g and row[s.id] != ""]
            agree = sum(1 for v in cells if int(v) == 1)
            product *= (agree + 1) / (len(cells) + 2)
        assert math.isclose(s.group_consensus.value, product, rel_tol=1e-5), s.id
        checked += 1
    assert checked >= 90  # every statement with enough votes (99 of vTaiwan's)
