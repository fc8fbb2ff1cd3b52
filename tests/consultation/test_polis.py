"""The Pol.is open-data export: reading, writing, and the real conversations.

The real data (vTaiwan UberX, Seattle $15/hour) is read from ../shared/data/polis; see
conftest.py for its CC BY 4.0 attribution.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from credo.consultation import (
    Params,
    PolisComment,
    PolisExport,
    PolisVote,
    Result,
    analyse,
    read_polis,
    write_polis,
)
from credo.errors import InputError
from tests.consultation.conftest import SEATTLE, VTAIWAN, polis_dir


def _small() -> PolisExport:
    comments = (
        PolisComment(1_000, "0", "7", 2, 0, 1, "Buses, please"),
        PolisComment(2_000, "1", "8", 0, 1, -1, 'A "quoted", comma\nand a newline'),
        PolisComment(3_000, "2", "7", 1, 1, 0, "ทางจักรยาน"),
    )
    votes = (
        PolisVote(1_500, "0", "7", 1),
        PolisVote(1_600, "0", "8", 1),
        PolisVote(2_500, "1", "8", 1),
        PolisVote(2_600, "1", "8", -1),  # changed: the later vote counts
        PolisVote(3_500, "2", "7", 1),
        PolisVote(3_600, "2", "9", -1),
    )
    return PolisExport(comments, votes, {}, (("topic", "Transport"),))


@pytest.fixture(scope="module")
def vtaiwan() -> tuple[PolisExport, Result]:
    """vTaiwan UberX read once and analysed with the default parameters."""
    export = read_polis(polis_dir(VTAIWAN))
    return export, analyse(export.matrix())


def _pv_rows(path: Path) -> list[dict[str, str]]:
    with (path / "participants-votes.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_write_then_read_a_small_export(tmp_path: Path) -> None:
    export = _small().with_groups({"7": 0, "8": 1})
    write_polis(tmp_path, export)
    back = read_polis(tmp_path)
    assert back.comments == tuple(
        replace(c, datetime=b.datetime) for c, b in zip(export.comments, back.comments, strict=True)
    )
    assert back.comments[0].datetime == "Thu Jan 01 00:00:01 UTC 1970"
    assert [v.vote for v in back.votes] == [v.vote for v in export.votes]
    assert back.groups == {"7": "0", "8": "1", "9": ""}
    rows = {r["participant"]: r for r in _pv_rows(tmp_path)}
    assert rows["8"]["1"] == "-1"  # the latest vote
    assert (rows["8"]["n-votes"], rows["8"]["n-agree"], rows["8"]["n-disagree"]) == ("2", "1", "1")
    assert rows["7"]["n-comments"] == "2"
    summary = dict(back.summary)
    assert summary["topic"] == "Transport"
    assert (summary["voters"], summary["comments"], summary["groups"]) == ("3", "3", "2")


def test_the_matrix_takes_latest_votes_and_leaves_moderated_out_statements_out() -> None:
    m = _small().matrix()
    assert m.statements == ("0", "2")
    assert m.n_votes == 4
    full = _small().matrix(include_moderated_out=True)
    assert full.statements == ("0", "1", "2")
    dense = full.dense()
    assert dense[full.participants.index("8"), 1] == -1


def test_bad_exports_are_refused(tmp_path: Path) -> None:
    write_polis(tmp_path, _small())
    (tmp_path / "votes.csv").unlink()
    with pytest.raises(InputError, match=r"votes\.csv is missing"):
        read_polis(tmp_path)
    write_polis(tmp_path, _small())
    text = (tmp_path / "votes.csv").read_text().replace(",7,1\n", ",7,5\n", 1)
    (tmp_path / "votes.csv").write_text(text)
    with pytest.raises(InputError, match=r"votes\.csv line 2: a vote is 1, -1 or 0"):
        read_polis(tmp_path)
    write_polis(tmp_path, _small())
    text = (tmp_path / "votes.csv").read_text().replace("\n1500,", "\nsoon,", 1)
    (tmp_path / "votes.csv").write_text(text)
    with pytest.raises(InputError, match="not a whole number"):
        read_polis(tmp_path)
    write_polis(tmp_path, _small())
    text = (tmp_path / "votes.csv").read_text() + "4000,x,99,7,1\n"
    (tmp_path / "votes.csv").write_text(text)
    with pytest.raises(InputError, match=r"comment '99' is not in comments\.csv"):
        read_polis(tmp_path)
    (tmp_path / "comments.csv").write_text("timestamp,comment-id\n1,2\n")
    with pytest.raises(InputError, match="lacks the columns"):
        read_polis(tmp_path)


@pytest.mark.parametrize("name", [VTAIWAN, SEATTLE])
def test_import_reproduces_the_exports_own_vote_matrix(name: str) -> None:
    """Each participant's latest vote in votes.csv, cell for cell, is what the export's
    participants-votes.csv holds."""
    directory = polis_dir(name)
    export = read_polis(directory)
    m = export.matrix(include_moderated_out=True)
    dense = m.dense()
    row = {p: i for i, p in enumerate(m.participants)}
    col = {s: j for j, s in enumerate(m.statements)}
    published = _pv_rows(directory)
    assert {r["participant"] for r in published} == set(m.participants)
    cells = 0
    for r in published:
        for sid, j in col.items():
            mine = dense[row[r["participant"]], j]
            if r[sid] == "":
                assert np.isnan(mine)
            else:
                assert mine == int(r[sid])
                cells += 1
    assert cells == m.n_votes
    if name == VTAIWAN:
        assert m.shape == (1921, 197)
        assert cells == 49_443


@pytest.mark.parametrize("name", [VTAIWAN, SEATTLE])
def test_round_trip_changes_nothing(name: str, tmp_path: Path) -> None:
    export = read_polis(polis_dir(name))
    write_polis(tmp_path / "one", export)
    once = read_polis(tmp_path / "one")
    assert once == export
    write_polis(tmp_path / "two", once)
    for f in ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes()


def test_group_informed_consensus_recomputed_from_the_exported_groups(
    tmp_path: Path, vtaiwan: tuple[PolisExport, Result]
) -> None:
    """Our result's group-informed consensus equals Π_g (A_g+1)/(S_g+2) recomputed by anyone
    from the export we write: its group-id column and its votes."""
    export, result = vtaiwan
    write_polis(tmp_path, export.with_groups(result.group_of()))
    rows = _pv_rows(tmp_path)
    moderated_out = {c.comment_id for c in read_polis(tmp_path).comments if c.moderated == -1}
    checked = 0
    for s in result.statements:
        assert s.id not in moderated_out
        if s.group_consensus is None:
            continue
        groups: dict[str, list[int]] = {}
        for r in rows:
            if r["group-id"] != "" and r[s.id] != "":
                groups.setdefault(r["group-id"], []).append(int(r[s.id]))
        product = 1.0
        for votes in groups.values():
            product *= (votes.count(1) + 1) / (len(votes) + 2)
        assert s.group_consensus.value == pytest.approx(product, rel=1e-5)
        checked += 1
    assert checked == sum(s.state == "ok" for s in result.statements) == 99


def test_group_informed_consensus_from_pol_is_own_groups(
    vtaiwan: tuple[PolisExport, Result],
) -> None:
    """The same formula over Pol.is's own group assignment, as the export states it, agrees
    with ours to within the difference of the assignments."""
    export, ours = vtaiwan
    latest = export.latest()
    theirs: dict[str, float] = {}
    for s in ours.statements:
        per: dict[str, list[int]] = {}
        for (voter, cid), v in latest.items():
            g = export.groups.get(voter, "")
            if cid == s.id and g != "":
                per.setdefault(g, []).append(v.vote)
        theirs[s.id] = float(np.prod([(x.count(1) + 1) / (len(x) + 2) for x in per.values()]))
    mine = {s.id: s.group_consensus.value for s in ours.statements if s.group_consensus}
    common = sorted(mine)
    corr = np.corrcoef([mine[s] for s in common], [theirs[s] for s in common])[0, 1]
    assert corr > 0.95


@pytest.mark.parametrize("name", [VTAIWAN, SEATTLE])
def test_our_groups_resemble_pol_is_groups(name: str) -> None:
    """Adjusted Rand index against the export's group-id (the figures are in
    docs/consultation-analysis.md); a regression guard, not a target. Counting moderated-out
    statements as Pol.is does (zero columns) brings the groups closer to Pol.is's own."""
    export = read_polis(polis_dir(name))
    m = export.matrix()
    ari = {}
    for zeroed in (0, export.moderated_out()):
        ours = analyse(m, Params(zeroed_statements=zeroed)).group_of()
        both = sorted(p for p in ours if export.groups.get(p, "") != "")
        assert len(both) >= 0.99 * len(ours)
        ari[zeroed] = adjusted_rand_score([ours[p] for p in both], [export.groups[p] for p in both])
    assert ari[0] >= 0.7
    assert ari[export.moderated_out()] >= 0.8
