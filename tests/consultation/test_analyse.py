"""analyse and verify on synthetic consultations whose answer is known."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from credo.consultation import (
    Params,
    Vote,
    VoteMatrix,
    analyse,
    matrix_hash,
    parse_result,
    previous_of,
    result_bytes,
    verify,
)
from credo.errors import VerificationError
from tests.consultation.conftest import REPO, two_camps


def test_two_camps_are_found_with_what_each_thinks() -> None:
    m, camp = two_camps()
    res = analyse(m)
    assert res.state == "ok"
    assert res.k is not None
    assert res.k.chosen == 2
    groups = res.group_of()
    people = sorted(groups)
    assert adjusted_rand_score([camp[p] for p in people], [groups[p] for p in people]) == 1.0
    for group in res.groups:
        members = [p for p in people if groups[p] == group.id]
        favoured = "a" if camp[members[0]] == 0 else "b"
        assert group.representative, "each camp has statements that set it apart"
        for rep in group.representative:
            # a group is represented by agreeing with its own camp's statements or by
            # disagreeing with the other camp's
            assert (rep.statement[0] == favoured) == (rep.direction == "agree")
            assert rep.z_p > 1.2816
            assert rep.z_ratio > 1.2816
            assert rep.p.low <= rep.p.value <= rep.p.high
        assert len(group.representative) <= 5


def test_consensus_group_informed_consensus_and_bridging_pick_the_common_statement() -> None:
    m, _ = two_camps()
    res = analyse(m)
    assert res.consensus.agree[0] == "common"
    by_id = {s.id: s for s in res.statements}
    gac = {s.id: s.group_consensus.value for s in res.statements if s.group_consensus}
    assert max(gac, key=lambda s: gac[s]) == "common"
    common = by_id["common"]
    assert common.group_consensus is not None
    assert common.group_consensus.low <= common.group_consensus.value <= common.group_consensus.high
    assert common.bridging is not None
    assert common.bridging.bridging
    assert all(not s.bridging.bridging for s in res.statements if s.id != "common" and s.bridging)
    # the camp statements load on the factor, the common one barely does
    assert abs(common.bridging.factor) < min(abs(by_id[s].bridging.factor) for s in ("a0", "b0"))


def test_group_informed_consensus_is_the_product_over_groups() -> None:
    m, _ = two_camps(noise=0.2, seed=4)
    res = analyse(m)
    for s in res.statements:
        assert s.group_consensus is not None
        expected = np.prod(
            [(g.agree + 1) / (g.agree + g.disagree + g.passes + 2) for g in s.groups]
        )
        assert s.group_consensus.value == pytest.approx(expected, rel=1e-5)
        expected_d = np.prod(
            [(g.disagree + 1) / (g.agree + g.disagree + g.passes + 2) for g in s.groups]
        )
        assert s.group_consensus_disagree is not None
        assert s.group_consensus_disagree.value == pytest.approx(expected_d, rel=1e-5)


def test_divisive_statements_are_named_with_fdr_control() -> None:
    m, _ = two_camps(noise=0.1)
    res = analyse(m)
    assert set(res.divisive) == {s for s in m.statements if s != "common"}
    common = next(s for s in res.statements if s.id == "common")
    assert common.divisive is not None
    assert not common.divisive.divisive
    for s in res.statements:
        assert s.divisive is not None
        assert s.divisive.q >= s.divisive.p


def test_no_structure_names_nothing_divisive() -> None:
    rng = np.random.default_rng(3)
    statements = [str(i) for i in range(12)]
    votes = [Vote(f"p{i}", s, int(rng.choice([-1, 1]))) for i in range(80) for s in statements]
    res = analyse(VoteMatrix.build(statements, votes))
    assert res.divisive == ()  # BH at 5% over twelve coin-toss statements


def test_sparse_voters_are_not_pulled_to_the_centre() -> None:
    """Pol.is's scaling: a participant who voted on 7 of 13 statements sits with their camp,
    not near the origin where the unscaled projection would put them."""
    m, _camp = two_camps(noise=0.0)
    votes = m.votes()
    keep = {"a0", "a1", "a2", "b0", "b1", "b2", "common"}
    votes += [Vote("sparse", s, 1 if s[0] in "ac" else -1) for s in keep]
    res = analyse(VoteMatrix.build(m.statements, votes))
    point = next(p for p in res.participants if p.participant == "sparse")
    group = res.groups[point.group]
    full = next(p for p in res.participants if p.participant == "p0-000")
    assert point.group == full.group
    # on the axis that separates the camps: 0.68 of the way out with the scale, 0.50
    # without (sqrt(7/13) less)
    assert abs(point.x) > 0.6 * abs(group.centre[0])


def test_participants_need_min_7_or_all_statements() -> None:
    m, _ = two_camps(n_camp_statements=2)  # 5 statements: 5 votes are enough
    votes = [v for v in m.votes() if not (v.participant == "p0-000" and v.statement == "a0")]
    res = analyse(VoteMatrix.build(m.statements, votes))
    assert res.clustered == len(m.participants) - 1
    assert "p0-000" not in res.group_of()
    big, _ = two_camps(n_camp_statements=6)  # 13 statements: 7 needed
    votes = [v for v in big.votes() if not (v.participant == "p0-000" and v.statement > "b0")]
    assert sum(v.participant == "p0-000" for v in votes) == 7
    assert "p0-000" in analyse(VoteMatrix.build(big.statements, votes)).group_of()


def test_not_enough_votes_yet() -> None:
    m = VoteMatrix.build(["1", "2", "3"], [Vote("a", "1", 1), Vote("b", "1", -1)])
    res = analyse(m)
    assert res.state == "not_enough_votes"
    assert res.groups == ()
    assert res.k is None
    assert res.bridging is None
    for s in res.statements:
        assert s.state == "not_enough_votes"
        assert s.agree_share is None
        assert s.group_consensus is None
        assert s.bridging is None


def test_a_statement_under_the_minimum_shows_no_figures() -> None:
    m, _ = two_camps()
    votes = [*m.votes(), Vote("p0-000", "late", 1), Vote("p1-000", "late", -1)]
    res = analyse(VoteMatrix.build([*m.statements, "late"], votes))
    late = next(s for s in res.statements if s.id == "late")
    assert late.state == "not_enough_votes"
    assert late.agree_share is None
    assert late.group_consensus is None
    assert late.bridging is None
    assert late.divisive is None
    assert late.votes.agree == 1
    assert late.votes.disagree == 1


def test_same_votes_same_seed_same_bytes() -> None:
    m, _ = two_camps(noise=0.15)
    shuffled = VoteMatrix.build(reversed(m.statements), list(reversed(m.votes())))
    one, two = (
        result_bytes(analyse(m, Params(seed=9))),
        result_bytes(analyse(shuffled, Params(seed=9))),
    )
    assert one == two
    doc = json.loads(one)
    assert doc["algorithm"] == "credo.consultation"
    assert doc["version"] == "1"
    assert doc["params"]["seed"] == 9
    assert doc["matrix"]["sha256"] == matrix_hash(m)
    assert parse_result(one) == analyse(m, Params(seed=9))


def test_groups_stay_put_between_updates() -> None:
    m, camp = two_camps(noise=0.1, seed=5)
    first = analyse(m, Params(seed=1))
    # new votes arrive: a new statement, and a few people change their minds
    votes = [v for v in m.votes() if v.statement != "a0"]
    votes += [Vote(p, "new", 1 if camp[p] == 0 else -1) for p in m.participants]
    votes += [Vote(p, "a0", 1 if camp[p] == 0 else -1) for p in m.participants]
    later = VoteMatrix.build([*m.statements, "new"], votes)
    # a different seed too: only the carried-over centres keep the ids
    second = analyse(later, Params(seed=2, previous=previous_of(first)))
    before, after = first.group_of(), second.group_of()
    assert all(before[p] == after[p] for p in before)
    for g1, g2 in zip(first.groups, second.groups, strict=True):
        assert np.sign(g1.centre[0]) == np.sign(g2.centre[0])
    assert second.params.previous is not None
    # what was carried over is in the document, so the update verifies on its own
    verify(later, parse_result(result_bytes(second)).params, result_bytes(second))


def test_the_group_count_changes_only_after_k_buffer_updates() -> None:
    m, _ = two_camps()
    first = analyse(m)
    assert first.k is not None
    assert first.k.chosen == 2
    prev = previous_of(first)
    assert prev is not None
    # pretend the last updates showed 3 groups: 2 (best now) must win k_buffer times in a row
    prev = prev.model_copy(update={"k": 3, "candidate_k": 3, "streak": 9, "centres": ()})
    shown = []
    for _ in range(4):
        res = analyse(m, Params(previous=prev, k_buffer=3))
        assert res.k is not None
        shown.append(res.k.chosen)
        prev = previous_of(res)
        assert prev is not None
    assert shown == [3, 3, 2, 2]


def test_translation_drift_is_flagged_beyond_chance() -> None:
    m, _ = two_camps(n_per_camp=60, languages=("th", "en"), noise=0.1)
    votes = m.votes()
    # the Thai version of a0 reads differently: Thai readers disagree with it
    votes = [
        Vote(v.participant, v.statement, -1, v.language)
        if v.statement == "a0" and v.language == "th"
        else v
        for v in votes
    ]
    res = analyse(VoteMatrix.build(m.statements, votes))
    assert res.drift == ("a0",)
    a0 = next(s for s in res.statements if s.id == "a0")
    assert a0.drift is not None
    assert a0.drift.flagged
    assert a0.drift.q <= 0.05
    shares = {v.language: v.agree_share for v in a0.drift.versions}
    assert shares["th"] is not None
    assert shares["en"] is not None
    assert shares["th"].high < shares["en"].low
    assert {lc.language: lc.voters for lc in res.languages} == {"en": 60, "th": 60}
    common = next(s for s in res.statements if s.id == "common")
    assert common.drift is not None
    assert not common.drift.flagged


def test_drift_is_not_tested_with_one_version() -> None:
    m, _ = two_camps(languages=("th",))
    res = analyse(m)
    for s in res.statements:
        assert s.drift is not None
        assert (s.drift.p, s.drift.q, s.drift.flagged) == (None, None, False)
        assert [v.language for v in s.drift.versions] == ["th"]
    assert res.drift == ()


def test_verify_passes_on_an_untouched_result() -> None:
    m, _ = two_camps(noise=0.1)
    params = Params(seed=3)
    verify(m, params, result_bytes(analyse(m, params)))


def test_verify_fails_on_a_changed_vote() -> None:
    m, _ = two_camps(noise=0.1)
    data = result_bytes(analyse(m))
    votes = m.votes()
    votes[0] = Vote(votes[0].participant, votes[0].statement, -votes[0].value or 1)
    with pytest.raises(VerificationError, match="vote matrix"):
        verify(VoteMatrix.build(m.statements, votes), Params(), data)


def test_verify_fails_on_a_changed_parameter() -> None:
    m, _ = two_camps(noise=0.1)
    data = result_bytes(analyse(m))
    with pytest.raises(VerificationError, match=r"params\.seed"):
        verify(m, Params(seed=1), data)


def test_verify_fails_on_a_changed_result() -> None:
    m, _ = two_camps(noise=0.1)
    res = analyse(m)
    doc = json.loads(result_bytes(res))
    doc["statements"][0]["votes"]["agree"] += 1
    forged = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    with pytest.raises(VerificationError, match=r"statements\[0\]\.votes\.agree"):
        verify(m, Params(), forged)
    with pytest.raises(VerificationError, match="cannot be read"):
        verify(m, Params(), result_bytes(res) + b" ")


@settings(max_examples=30, deadline=None)
@given(
    n_people=st.integers(0, 30),
    n_statements=st.integers(1, 9),
    density=st.floats(0.1, 1.0),
    choices=st.sampled_from([(-1, 0, 1), (1,), (0,), (1, -1)]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_matrix_gives_a_verifiable_document(
    n_people: int, n_statements: int, density: float, choices: tuple[int, ...], seed: int
) -> None:
    """Whatever the votes (none, all passes, all agree, one statement, identical voters), the
    analysis returns a canonical document that verifies: never a crash, never a NaN."""
    rng = np.random.default_rng(seed)
    statements = [str(j) for j in range(n_statements)]
    votes = [
        Vote(f"p{i}", s, int(rng.choice(choices)), str(rng.choice(["th", "en"])))
        for i in range(n_people)
        for s in statements
        if rng.random() < density
    ]
    m = VoteMatrix.build(statements, votes)
    params = Params(seed=seed, min_participants=3)
    data = result_bytes(analyse(m, params))
    assert result_bytes(parse_result(data)) == data
    verify(m, params, data)


def test_the_bytes_do_not_depend_on_the_threads_allowed() -> None:
    """analyse holds BLAS and OpenMP to one thread itself: a process told to use more (or
    one) gives the same bytes as this one."""
    m, _ = two_camps(n_per_camp=150, noise=0.2)
    expected = hashlib.sha256(result_bytes(analyse(m, Params(seed=5)))).hexdigest()
    script = (
        "import hashlib\n"
        "from credo.consultation import Params, analyse, result_bytes\n"
        "from tests.consultation.conftest import REPO, two_camps\n"
        "m, _ = two_camps(n_per_camp=150, noise=0.2)\n"
        "print(hashlib.sha256(result_bytes(analyse(m, Params(seed=5)))).hexdigest())\n"
    )
    for threads in ("1", "2"):
        env = {
            **os.environ,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        }
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected
