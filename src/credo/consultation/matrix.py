"""The anonymised vote matrix: who (a per-consultation pseudonym) voted what on which statement.

Participants x statements, agree = 1, disagree = -1, pass = 0, and a gap where a participant
never voted (a gap is not a pass: Pol.is keeps them apart, and so does every figure here).
Each vote may carry the language version the voter was shown, for translation drift.

The matrix is stored sparse (one row per vote), because real consultations are: a vTaiwan
voter saw 26 of 197 statements on average. Its canonical bytes are the published document
whose SHA-256 a result names, so the same votes always give the same hash whatever order
they arrived in.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credo.errors import InputError

__all__ = [
    "MATRIX_FORMAT",
    "Vote",
    "VoteMatrix",
    "matrix_bytes",
    "matrix_hash",
    "natural_key",
    "parse_matrix",
]

MATRIX_FORMAT = "credo-vote-matrix/1"
AGREE, DISAGREE, PASS = 1, -1, 0
_DIGITS = re.compile(r"0|[1-9][0-9]*")
_MAX_ID = 128


def natural_key(value: str) -> tuple[int, int, str]:
    """The canonical order of ids: decimal numbers by value (Pol.is ids are 0, 1, ..., 10),
    then every other string by code point. A total order, so sorting is reproducible."""
    if _DIGITS.fullmatch(value):
        return (0, len(value), value)  # same length digits compare as numbers do
    return (1, 0, value)


@dataclass(frozen=True, slots=True)
class Vote:
    """One participant's current vote on one statement; ``language`` is the version shown."""

    participant: str
    statement: str
    value: int
    language: str | None = None


@dataclass(frozen=True, eq=False)
class VoteMatrix:
    """A sparse vote matrix in canonical order; build it with ``VoteMatrix.build``.

    ``rows``/``cols``/``values`` hold one entry per vote, sorted by (participant, statement)
    in ``natural_key`` order; ``shown`` indexes ``languages`` (-1: not recorded).
    """

    statements: tuple[str, ...]
    participants: tuple[str, ...]
    languages: tuple[str, ...]
    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    values: npt.NDArray[np.int8]
    shown: npt.NDArray[np.int64]

    @classmethod
    def build(cls, statements: Iterable[str], votes: Iterable[Vote]) -> VoteMatrix:
        """Check and order the votes. ``statements`` lists every statement analysed, voted on
        or not; a vote on any other statement, a value other than -1/0/1 or a second vote by
        one participant on one statement is refused (InputError), nothing is guessed."""
        listed = list(statements)
        stmts = sorted(set(listed), key=natural_key)
        if len(stmts) != len(listed):
            raise InputError("a statement id is listed twice", code="duplicate_statement")
        for sid in stmts:
            _check_id(sid, "statement")
        col_of = {sid: i for i, sid in enumerate(stmts)}
        seen: dict[tuple[str, str], tuple[int, str | None]] = {}
        for vote in votes:
            if vote.statement not in col_of:
                raise InputError(
                    f"a vote names statement {vote.statement!r}, not in the matrix",
                    code="unknown_statement",
                )
            if vote.value not in (AGREE, DISAGREE, PASS) or isinstance(vote.value, bool):
                raise InputError(
                    f"a vote's value is {vote.value!r}: agree 1, disagree -1 or pass 0",
                    code="bad_vote",
                )
            key = (vote.participant, vote.statement)
            if key in seen:
                raise InputError(
                    f"participant {vote.participant!r} has two votes on statement "
                    f"{vote.statement!r}: give only the latest",
                    code="duplicate_vote",
                )
            _check_id(vote.participant, "participant")
            if vote.language is not None:
                _check_id(vote.language, "language")
            seen[key] = (vote.value, vote.language)
        people = sorted({p for p, _ in seen}, key=natural_key)
        row_of = {p: i for i, p in enumerate(people)}
        langs = sorted({lang for _, lang in seen.values() if lang is not None})
        lang_of = {lang: i for i, lang in enumerate(langs)}
        n = len(seen)
        rows = np.empty(n, dtype=np.int64)
        cols = np.empty(n, dtype=np.int64)
        values = np.empty(n, dtype=np.int8)
        shown = np.empty(n, dtype=np.int64)
        for i, ((p, s), (value, lang)) in enumerate(seen.items()):
            rows[i], cols[i], values[i] = row_of[p], col_of[s], value
            shown[i] = -1 if lang is None else lang_of[lang]
        order = np.lexsort((cols, rows))
        return cls(
            statements=tuple(stmts),
            participants=tuple(people),
            languages=tuple(langs),
            rows=rows[order],
            cols=cols[order],
            values=values[order],
            shown=shown[order],
        )

    @classmethod
    def from_arrays(
        cls,
        statements: Sequence[str],
        participants: Sequence[str],
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        values: npt.ArrayLike,
        languages: Sequence[str] = (),
        shown: npt.ArrayLike | None = None,
    ) -> VoteMatrix:
        """The same matrix as ``build`` from index arrays (vote k: participant ``rows[k]``,
        statement ``cols[k]``, language ``shown[k]`` or -1), checked and put in canonical
        order without a Python object per vote: the path for large consultations."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        v = np.asarray(values)
        sh = np.full(r.size, -1, dtype=np.int64) if shown is None else np.asarray(shown, np.int64)
        if not (r.shape == c.shape == v.shape == sh.shape) or r.ndim != 1:
            raise InputError("rows, cols, values and shown must be one-dimensional and alike")
        if not np.isin(v, (AGREE, DISAGREE, PASS)).all():
            raise InputError("a vote is agree 1, disagree -1 or pass 0", code="bad_vote")
        for ids, what, n in (
            (statements, "statement", c),
            (participants, "participant", r),
            (languages, "language", sh),
        ):
            if len(set(ids)) != len(ids):
                raise InputError(f"a {what} id is listed twice", code=f"duplicate_{what}")
            for item in ids:
                _check_id(item, what)
            low = -1 if what == "language" else 0
            if n.size and (n.min() < low or n.max() >= len(ids)):
                raise InputError(f"a vote's {what} index is out of range", code="bad_index")
        n_s = len(statements)
        if np.unique(r * n_s + c).size != r.size:
            raise InputError("a participant has two votes on one statement", code="duplicate_vote")
        s_order = sorted(range(n_s), key=lambda i: natural_key(statements[i]))
        p_order = sorted(range(len(participants)), key=lambda i: natural_key(participants[i]))
        l_order = sorted(range(len(languages)), key=lambda i: languages[i])
        s_new, p_new = np.empty(n_s, np.int64), np.empty(len(participants), np.int64)
        s_new[s_order], p_new[p_order] = np.arange(n_s), np.arange(len(participants))
        l_new = np.empty(len(languages) + 1, np.int64)
        l_new[l_order] = np.arange(len(languages))
        l_new[-1] = -1
        r, c, sh = p_new[r], s_new[c], l_new[sh]
        # participants who cast no vote are not in the matrix (as in ``build``)
        present = np.zeros(len(participants), dtype=bool)
        present[r] = True
        kept = np.cumsum(present) - 1
        r = kept[r]
        people = [participants[p_order[i]] for i in range(len(participants)) if present[i]]
        order = np.lexsort((c, r))
        return cls(
            statements=tuple(statements[i] for i in s_order),
            participants=tuple(people),
            languages=tuple(languages[i] for i in l_order),
            rows=r[order],
            cols=c[order],
            values=v.astype(np.int8)[order],
            shown=sh[order],
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.participants), len(self.statements))

    @property
    def n_votes(self) -> int:
        return int(self.values.size)

    def votes(self) -> list[Vote]:
        """The votes as values, in canonical order."""
        langs = self.languages
        return [
            Vote(
                self.participants[r],
                self.statements[c],
                int(v),
                None if s < 0 else langs[s],
            )
            for r, c, v, s in zip(
                self.rows.tolist(),
                self.cols.tolist(),
                self.values.tolist(),
                self.shown.tolist(),
                strict=True,
            )
        ]

    def dense(self) -> npt.NDArray[np.float64]:
        """participants x statements, NaN in the gaps: for tests and small matrices."""
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = self.values
        return out


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise InputError(
            f"a {what} id must be a non-empty string of at most {_MAX_ID} characters, "
            f"not {value!r}",
            code="bad_id",
        )
    if any(ch in value for ch in '\n\r,"'):
        raise InputError(f"a {what} id may not hold a comma, quote or newline", code="bad_id")


def _votes_json(matrix: VoteMatrix) -> str:
    """The votes as JSON rows ``[participant, statement, vote, language or null]``, formatted
    straight from the index arrays (a list per vote through json.dumps is several times
    slower at 100,000 voters). Equal to ``json.dumps`` of the same lists
    (tests/consultation/test_matrix.py)."""
    names = np.array(["null", *(str(i) for i in range(len(matrix.languages)))])
    lang = names[matrix.shown + 1].tolist()
    rows = map(
        "[{},{},{},{}]".format,
        matrix.rows.tolist(),
        matrix.cols.tolist(),
        matrix.values.tolist(),
        lang,
    )
    return "[" + ",".join(rows) + "]"


def matrix_bytes(matrix: VoteMatrix) -> bytes:
    """The matrix's canonical document: compact JSON, keys sorted, UTF-8, indices into the
    sorted id lists. This is what is published beside a result and hashed."""

    def dump(value: object) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    # keys in sorted order, as json.dumps(sort_keys=True) would put them
    return (
        f'{{"format":{dump(MATRIX_FORMAT)},"languages":{dump(list(matrix.languages))},'
        f'"participants":{dump(list(matrix.participants))},'
        f'"statements":{dump(list(matrix.statements))},"votes":{_votes_json(matrix)}}}'
    ).encode()


def matrix_hash(matrix: VoteMatrix) -> str:
    """Hex SHA-256 of ``matrix_bytes``: the matrix's identity in a result and on the log."""
    return hashlib.sha256(matrix_bytes(matrix)).hexdigest()


def parse_matrix(data: bytes) -> VoteMatrix:
    """Read a published matrix document back, checking it is canonical: parsing and
    re-serialising must give the same bytes, so a hash names exactly one matrix."""
    try:
        doc = json.loads(data)
        if doc.get("format") != MATRIX_FORMAT:
            raise InputError(
                f"not a {MATRIX_FORMAT} document (format {doc.get('format')!r})",
                code="bad_matrix",
            )
        statements, participants, langs = doc["statements"], doc["participants"], doc["languages"]
        votes = [
            Vote(participants[p], statements[s], v, None if lang is None else langs[lang])
            for p, s, v, lang in doc["votes"]
        ]
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InputError(
            f"the vote matrix document is malformed: {exc}", code="bad_matrix"
        ) from exc
    matrix = VoteMatrix.build(statements, votes)
    if matrix_bytes(matrix) != data:
        raise InputError(
            "the vote matrix document is not in canonical form (order, spacing or ids)",
            code="bad_matrix",
        )
    return matrix
