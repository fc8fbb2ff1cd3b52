"""credo consultation: import a Pol.is export (the id on the last line), export it back,
publish, queue with drift, and verify's clean refusal when the server cannot be read."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from credo.services.consultation_results import ConsultationResults
from credo.services.consultations import Consultations
from credo.services.node import DataDir, Node
from credo.services.people import People
from tests.cli.test_cli import assert_clean_failure, credo
from tests.cli.test_consult import _grant_convener

POLIS = Path(
    os.environ.get("CREDO_POLIS_DATA", Path(__file__).parents[2] / ".." / "shared/data/polis")
)
SEATTLE = POLIS / "15-per-hour-seattle"


@pytest.mark.skipif(not SEATTLE.exists(), reason="the Pol.is open data is not here")
def test_import_export_import_changes_nothing(data_dir: Path, tmp_path: Path) -> None:
    _grant_convener(data_dir)
    d = ["--data", str(data_dir)]
    done = credo("consultation", "import", *d, str(SEATTLE), "--member", "council")
    assert done.returncode == 0, done.stderr
    cid = done.stdout.splitlines()[-1]
    assert cid == "15-per-hour-seattle"
    out = tmp_path / "out"
    done = credo("consultation", "export", *d, cid, str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]
    with (out / "participants-votes.csv").open(encoding="utf-8", newline="") as fh:
        groups = {row["group-id"] for row in csv.DictReader(fh)}
    assert len(groups - {""}) >= 2
    again = credo("consultation", "import", *d, str(out), "--member", "council", "--id", "again")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "again"
    node = Node(DataDir(data_dir)).start()
    try:
        results = ConsultationResults(
            Consultations(People.open(node)), node.data.root / "documents"
        )
        first = results.published(cid)
        second = results.published("again")
        assert (first["matrix"], first["result"]) == (second["matrix"], second["result"])
        a = results.imported(results.c.consultation(cid))
        b = results.imported(results.c.consultation("again"))
        assert a is not None
        assert b is not None
        assert a.conversation == b.conversation
    finally:
        node.close()
    # the same id twice is refused, with nothing written
    stored = sorted((data_dir / "documents").iterdir())
    refused = credo("consultation", "import", *d, str(SEATTLE), "--member", "council")
    assert_clean_failure(refused, "already exists")
    assert sorted((data_dir / "documents").iterdir()) == stored
    # a moderator's queue of an imported consultation: nobody moderates it but its convener
    queue = credo("consult", "queue", *d, "--member", "watch", "--id", cid)
    assert_clean_failure(queue, "moderate")


def test_bad_imports_and_an_unreachable_server_fail_cleanly(data_dir: Path, tmp_path: Path) -> None:
    _grant_convener(data_dir)
    d = ["--data", str(data_dir)]
    empty = tmp_path / "empty-export"
    empty.mkdir()
    assert_clean_failure(
        credo("consultation", "import", *d, str(empty), "--member", "council"), "comments.csv"
    )
    assert_clean_failure(
        credo("consultation", "publish", *d, "no-such", "--member", "council"), "consultation"
    )
    assert_clean_failure(
        credo("consultation", "verify", "--url", "http://127.0.0.1:9", "streets"), "reach"
    )
