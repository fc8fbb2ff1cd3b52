"""The vote matrix: canonical order, refusals, and the published document's round trip."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.consultation import (
    Vote,
    VoteMatrix,
    matrix_bytes,
    matrix_hash,
    natural_key,
    parse_matrix,
)
from credo.errors import InputError

VOTES = [
    Vote("p10", "s2", 1, "th"),
    Vote("p2", "s1", -1, "en"),
    Vote("p2", "s2", 0),
    Vote("p10", "s10", 1, "zh-Hant"),
]


def test_natural_key_orders_numbers_by_value_then_text() -> None:
    ids = ["b", "10", "2", "a", "0", "007"]
    assert sorted(ids, key=natural_key) == ["0", "2", "10", "007", "a", "b"]


def test_build_is_canonical_whatever_the_arrival_order() -> None:
    one = VoteMatrix.build(["s1", "s2", "s10"], VOTES)
    two = VoteMatrix.build(["s10", "s2", "s1"], list(reversed(VOTES)))
    assert matrix_bytes(one) == matrix_bytes(two)
    assert one.participants == ("p10", "p2")  # neither decimal: code point order
    assert one.statements == ("s1", "s10", "s2")
    assert one.languages == ("en", "th", "zh-Hant")
    assert matrix_hash(one) == hashlib.sha256(matrix_bytes(one)).hexdigest()


def test_gaps_stay_gaps_and_passes_are_zero() -> None:
    m = VoteMatrix.build(["1", "2", "3"], [Vote("0", "1", 0), Vote("0", "3", -1)])
    dense = m.dense()
    assert dense[0, 0] == 0
    assert dense[0, 2] == -1
    assert dense[0, 1] != dense[0, 1]  # NaN: never voted
    assert m.n_votes == 2


def test_the_document_reads_back_to_the_same_bytes() -> None:
    m = VoteMatrix.build(["s1", "s2", "s10"], VOTES)
    data = matrix_bytes(m)
    doc = json.loads(data)
    assert doc["format"] == "credo-vote-matrix/1"
    assert doc["votes"][0] == [0, 1, 1, 2]  # p10 on s10, agree, zh-Hant
    assert matrix_bytes(parse_matrix(data)) == data
    assert parse_matrix(data).votes() == m.votes()


def test_a_non_canonical_document_is_refused() -> None:
    m = VoteMatrix.build(["s1", "s2"], [Vote("a", "s1", 1), Vote("b", "s2", -1)])
    doc = json.loads(matrix_bytes(m))
    spaced = json.dumps(doc, sort_keys=True).encode()  # same content, other spacing
    with pytest.raises(InputError, match="canonical"):
        parse_matrix(spaced)
    doc["votes"].reverse()
    reordered = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(InputError, match="canonical"):
        parse_matrix(reordered)
    with pytest.raises(InputError, match="format"):
        parse_matrix(b'{"format":"other"}')
    with pytest.raises(InputError, match="malformed"):
        parse_matrix(b"not json")


@pytest.mark.parametrize(
    ("votes", "code"),
    [
        ([Vote("p", "nope", 1)], "unknown_statement"),
        ([Vote("p", "s", 2)], "bad_vote"),
        ([Vote("p", "s", True)], "bad_vote"),
        ([Vote("p", "s", 1), Vote("p", "s", -1)], "duplicate_vote"),
        ([Vote("", "s", 1)], "bad_id"),
        ([Vote("p,q", "s", 1)], "bad_id"),
    ],
)
def test_bad_votes_are_refused(votes: list[Vote], code: str) -> None:
    with pytest.raises(InputError) as err:
        VoteMatrix.build(["s"], votes)
    assert err.value.code == code


def test_a_statement_listed_twice_is_refused() -> None:
    with pytest.raises(InputError, match="twice"):
        VoteMatrix.build(["s", "s"], [])


_ids = st.text(alphabet="abcxyz0123456789-", min_size=1, max_size=6)


@given(
    st.dictionaries(
        st.tuples(_ids, st.sampled_from(["1", "2", "10", "x"])),
        st.tuples(st.sampled_from([-1, 0, 1]), st.sampled_from([None, "th", "en"])),
        max_size=40,
    )
)
def test_round_trip_any_matrix(cells: dict[tuple[str, str], tuple[int, str | None]]) -> None:
    votes = [Vote(p, s, v, lang) for (p, s), (v, lang) in cells.items()]
    m = VoteMatrix.build(["1", "2", "10", "x"], votes)
    data = matrix_bytes(m)
    back = parse_matrix(data)
    assert matrix_bytes(back) == data
    assert sorted(back.votes(), key=lambda v: (v.participant, v.statement)) == sorted(
        votes, key=lambda v: (v.participant, v.statement)
    )


def test_from_arrays_is_build_by_another_road() -> None:
    people = ["p2", "p10", "idle"]
    statements = ["s2", "s1", "s10"]
    languages = ["zh-Hant", "th", "en"]
    m = VoteMatrix.from_arrays(
        statements, people, rows=[0, 1, 0, 1], cols=[1, 0, 0, 2], values=[-1, 1, 0, 1],
        languages=languages, shown=[2, 1, -1, 0],
    )  # fmt: skip
    assert matrix_bytes(m) == matrix_bytes(VoteMatrix.build(["s1", "s2", "s10"], VOTES))
    assert "idle" not in m.participants


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"values": [2]}, "bad_vote"),
        ({"rows": [5]}, "bad_index"),
        ({"cols": [-1]}, "bad_index"),
        ({"rows": [0, 0], "cols": [0, 0], "values": [1, 1]}, "duplicate_vote"),
    ],
)
def test_from_arrays_refuses_bad_votes(kwargs: dict[str, list[int]], code: str) -> None:
    args = {"rows": [0], "cols": [0], "values": [1], **kwargs}
    with pytest.raises(InputError) as err:
        VoteMatrix.from_arrays(["s"], ["p"], **args)
    assert err.value.code == code


def test_the_document_is_json_dumps_with_sorted_keys() -> None:
    """matrix_bytes builds its JSON by hand for speed; it must be what json.dumps gives."""
    m = VoteMatrix.build(["s1", "s2", "s10"], [*VOTES, Vote("é\\x/ü", "s1", 0)])
    doc = {
        "format": "credo-vote-matrix/1",
        "statements": list(m.statements),
        "participants": list(m.participants),
        "languages": list(m.languages),
        "votes": [
            [m.participants.index(v.participant), m.statements.index(v.statement), v.value,
             None if v.language is None else m.languages.index(v.language)]
            for v in m.votes()
        ],
    }  # fmt: skip
    expected = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert matrix_bytes(m) == expected.encode()
    empty = VoteMatrix.build(["s"], [])
    assert matrix_bytes(empty) == (
        b'{"format":"credo-vote-matrix/1","languages":[],"participants":[],'
        b'"statements":["s"],"votes":[]}'
    )
