"""Shared helpers for the consultation analysis tests: synthetic matrices and the real
Pol.is conversations.

The Pol.is data is read where the project keeps it, ``../shared/data/polis`` beside the
repository (or ``CREDO_POLIS_DATA``), never copied into the repository. It carries this
attribution (CC BY 4.0):

    Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed
    under CC BY 4.0 with Attribution to The Computational Democracy Project. The data and more
    information about how the data was collected can be found at the following link(s):
    https://compdemocracy.org/case-studies/2014-seattle-15-per-hour
    https://github.com/compdemocracy/openData (vtaiwan.uberx)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from credo.consultation import Vote, VoteMatrix

REPO = Path(__file__).resolve().parents[2]
POLIS = Path(os.environ.get("CREDO_POLIS_DATA", REPO.parent / "shared" / "data" / "polis"))
VTAIWAN = "vtaiwan.uberx"
SEATTLE = "15-per-hour-seattle"


def polis_dir(name: str) -> Path:
    """The folder of one real conversation; without it, fail in CI and skip elsewhere."""
    path = POLIS / name
    if not (path / "votes.csv").exists():
        message = f"the Pol.is open data is not at {path} (set CREDO_POLIS_DATA)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def two_camps(
    n_per_camp: int = 40,
    n_camp_statements: int = 6,
    seed: int = 1,
    noise: float = 0.05,
    languages: tuple[str, ...] = (),
) -> tuple[VoteMatrix, dict[str, int]]:
    """Two camps that disagree on their camp statements (``a*`` favoured by camp 0, ``b*`` by
    camp 1) and all agree on ``common``; each vote flips with probability ``noise``.
    Returns the matrix and each participant's true camp."""
    rng = np.random.default_rng(seed)
    statements = [f"a{i}" for i in range(n_camp_statements)]
    statements += [f"b{i}" for i in range(n_camp_statements)] + ["common"]
    votes: list[Vote] = []
    camp: dict[str, int] = {}
    for c in (0, 1):
        for i in range(n_per_camp):
            person = f"p{c}-{i:03d}"
            camp[person] = c
            for s in statements:
                value = 1 if s == "common" else 1 if (s[0] == "a") == (c == 0) else -1
                if rng.random() < noise:
                    value = -value
                lang = languages[i % len(languages)] if languages else None
                votes.append(Vote(person, s, value, lang))
    return VoteMatrix.build(statements, votes), camp
