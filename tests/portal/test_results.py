"""A consultation's public results page: no sign-in, four languages, no script needed, under
150 KB with vTaiwan's 1,921 voters, an ETag a poll gets 304 for until a vote changes the
result, a participant's own pseudonym and group, and the published documents served."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.consultation import parse_matrix
from credo.services.consultation_results import ConsultationResults, pseudonym
from tests.portal.conftest import _seed, portal_client, sign_in
from tests.portal.test_consult import CID, Setup

POLIS = Path(
    os.environ.get("CREDO_POLIS_DATA", Path(__file__).parents[2] / ".." / "shared/data/polis")
)


class Voted(Setup):
    """The streets consultation with twelve more people voting, half each way."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.results = ConsultationResults(self.service, self.node.data.root / "documents")
        self.people = [self.node.vault.ensure_subject(f"RES{n:04d}") for n in range(12)]
        for n, subject in enumerate(self.people):
            for k, sid in enumerate((self.zh, self.en)):
                vote = "agree" if (n + k) % 2 == 0 else "disagree"
                self.service.vote(subject, CID, sid, vote, "th" if n % 3 else "en")


@pytest.fixture
def voted(tmp_path: Path) -> Iterator[Voted]:
    world = _seed(tmp_path / "data")
    with portal_client(world.root) as c:
        yield Voted(world, c)


def test_the_results_page_is_public_in_every_language(voted: Voted) -> None:
    c = voted.client
    for code, word in (
        ("th", "ผลลัพธ์"),
        ("zh_Hans", "结果"),
        ("zh_Hant", "結果"),
        ("en", "Results"),
    ):
        c.cookies.set("credo_lang", code)
        r = c.get(f"/consultations/{CID}/results")
        assert r.status_code == 200, code
        assert word in r.text
        assert "<svg" in r.text or "Not enough votes" in r.text or code != "en"
        assert "Content-Security-Policy" in r.headers
        assert len(r.content) < 150_000
    # nobody's participant id is on the page
    for subject in voted.people:
        assert voted.service.participant(subject, CID) not in r.text


def test_a_poll_gets_304_until_a_vote_changes_the_result(voted: Voted) -> None:
    c = voted.client
    first = c.get(f"/consultations/{CID}/results")
    etag = first.headers["ETag"]
    again = c.get(f"/consultations/{CID}/results", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    voted.service.vote(voted.people[0], CID, voted.zh, "pass", "th")
    changed = c.get(f"/consultations/{CID}/results", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_participant_sees_their_pseudonym_and_group(voted: Voted) -> None:
    c = voted.client
    subject = voted.world.bob.subject
    voted.service.vote(subject, CID, voted.zh, "agree", "en")
    sign_in(c, subject)
    c.cookies.set("credo_lang", "en")
    r = c.get(f"/consultations/{CID}/results")
    mine = pseudonym(CID, voted.service.participant(subject, CID))
    assert r.status_code == 200
    assert mine in r.text
    assert r.headers["Cache-Control"].startswith("private")


def test_the_published_documents_are_served(voted: Voted) -> None:
    c = voted.client
    assert c.get(f"/consultations/{CID}/matrix.json").status_code == 404
    voted.results.publish("council", voted.council, CID)
    info = c.get(f"/consultations/{CID}/published.json").json()
    matrix = c.get(f"/consultations/{CID}/matrix.json").content
    result = c.get(f"/consultations/{CID}/result.json").content
    assert hashlib.sha256(matrix).hexdigest() == info["matrix"]
    assert hashlib.sha256(result).hexdigest() == info["result"]
    assert len(parse_matrix(matrix).participants) == 12
    assert f"entry {info['index']}" in c.get(f"/consultations/{CID}/results").text


@pytest.mark.skipif(not (POLIS / "vtaiwan.uberx").exists(), reason="no Pol.is data here")
def test_vtaiwans_results_page_is_under_150_kb(tmp_path: Path) -> None:
    world = _seed(tmp_path / "data")
    with portal_client(world.root) as c:
        s = Setup(world, c)
        results = ConsultationResults(s.service, s.node.data.root / "documents")
        results.import_polis("council", s.council, POLIS / "vtaiwan.uberx", "vtaiwan-uberx")
        c.cookies.set("credo_lang", "zh_Hant")
        r = c.get("/consultations/vtaiwan-uberx/results")
        assert r.status_code == 200
        assert len(r.content) < 150_000, len(r.content)
        assert "<svg" in r.text
        assert "群組 A" in r.text
        assert "<script" not in r.text.split("</main>")[0]


def test_unknown_consultation_is_404(client: TestClient) -> None:
    assert client.get("/consultations/no-such-thing/results").status_code == 404
    assert client.get("/consultations/no-such-thing/result.json").status_code == 404


def test_a_drifting_statement_is_flagged_on_the_page(voted: Voted) -> None:
    """Read in Thai nearly everyone agrees, in English nearly everyone disagrees."""
    c = voted.client
    people = [voted.node.vault.ensure_subject(f"DRIFT{n:04d}") for n in range(40)]
    for n, subject in enumerate(people):
        lang = "th" if n % 2 == 0 else "en"
        vote = "agree" if (lang == "th") != (n % 10 == 1) else "disagree"
        voted.service.vote(subject, CID, voted.zh, vote, lang)
    c.cookies.set("credo_lang", "en")
    page = c.get(f"/consultations/{CID}/results").text
    section = page.split("Translations to check")[1].split("<h2>")[0]
    assert "街道应该让孩子安全步行" in section or "ถนนควรให้เด็กเดินได้อย่างปลอดภัย" in section
    assert "Thai:" in section
    assert "English:" in section
    assert voted.results.live(CID).result.drift == (voted.zh,)
