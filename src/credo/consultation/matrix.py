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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def _document(matrix: VoteMatrix) -> dict[str, Any]:
    shown = [None if s < 0 else s for s in matrix.shown.tolist()]
    return {
        "format": MATRIX_FORMAT,
        "statements": list(matrix.statements),
        "participants": list(matrix.participants),
        "languages": list(matrix.languages),
        # [participant index, statement index, vote, language index or null]
        "votes": [
            list(t)
            for t in zip(
                matrix.rows.tolist(),
                matrix.cols.tolist(),
                matrix.values.tolist(),
                shown,
                strict=True,
            )
        ],
    }


def matrix_bytes(matrix: VoteMatrix) -> bytes:
    """The matrix's canonical document: compact JSON, keys sorted, UTF-8, indices into the
    sorted id lists. This is what is published beside a result and hashed."""
    return json.dumps(
        _document(matrix), sort_keys=True, separators=(",", ":"), ensure_ascii=False
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
