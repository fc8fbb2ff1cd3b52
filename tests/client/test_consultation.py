"""`credo consultation verify` from outside, against a served portal: it passes on an
untouched result, and fails on a changed vote, a changed parameter and a changed result
document, whether the server serves altered documents or the log itself names them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from credo.client.consultation import verify_published
from credo.consultation import (
    Params,
    analyse,
    matrix_bytes,
    parse_matrix,
    parse_result,
    result_bytes,
)
from credo.consultation.matrix import VoteMatrix
from credo.errors import VerificationError
from credo.services.consultation_results import ConsultationResults
from tests.portal.conftest import _seed, portal_client
from tests.portal.test_consult import CID, Setup

URL = "http://localhost"


class Served(Setup):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.results = ConsultationResults(self.service, self.node.data.root / "documents")
        people = [self.node.vault.ensure_subject(f"VER{n:04d}") for n in range(12)]
        for n, subject in enumerate(people):
            for k, sid in enumerate((self.zh, self.en)):
                vote = ("agree", "disagree", "pass")[(n + k) % 3]
                self.service.vote(subject, CID, sid, vote, "th" if n % 2 else "en")
        self.results.publish("council", self.council, CID)

    def transport(self, change: Callable[[str, bytes], bytes] | None = None) -> httpx.BaseTransport:
        """The served app, with ``change`` applied to each answer's body (by path)."""
        inner: httpx.BaseTransport = self.client._transport

        class Altering(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                answer = inner.handle_request(request)
                if change is None:
                    return answer
                body = change(request.url.path, answer.read())
                headers = {
                    k: v
                    for k, v in answer.headers.items()
                    if k not in ("content-length", "content-encoding")
                }
                return httpx.Response(answer.status_code, headers=headers, content=body)

        return Altering()

    def publish_raw(self, params: Params, matrix: bytes, result: bytes) -> None:
        """A result entry as a dishonest operator could log it: its own documents."""
        body = {
            "consultation": CID,
            "algorithm": "credo.consultation",
            "version": "1",
            "params": params.model_dump(mode="json"),
            "seed": params.seed,
            "matrix": self.results.documents.put(matrix),
            "result": self.results.documents.put(result),
            "votes_through": self.node.store.tree_size(),
        }
        self.service._submit("consultation.result", "council", body, at=None, key=self.council)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    world = _seed(tmp_path / "data")
    with portal_client(world.root) as c:
        yield Served(world, c)


def _flip_vote(doc: bytes) -> bytes:
    parsed = json.loads(doc)
    p, s, v, lang = parsed["votes"][0]
    parsed["votes"][0] = [p, s, 1 if v != 1 else -1, lang]
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


def test_an_untouched_result_verifies(served: Served) -> None:
    checked = verify_published(URL, CID, transport=served.transport())
    assert checked.participants == 12
    assert checked.votes == 24
    assert checked.index == served.results.published(CID)["index"]


def test_a_changed_vote_in_the_served_matrix_fails(served: Served) -> None:
    def change(path: str, body: bytes) -> bytes:
        return _flip_vote(body) if path.endswith("/matrix.json") else body

    with pytest.raises(VerificationError, match="vote matrix"):
        verify_published(URL, CID, transport=served.transport(change))


def test_a_changed_vote_the_log_names_fails_on_recomputation(served: Served) -> None:
    """The operator logs a matrix with one vote changed beside the true result."""
    live = served.results.live(CID)
    served.publish_raw(live.params, _flip_vote(live.matrix_doc), live.result_doc)
    with pytest.raises(VerificationError, match="matrix"):
        verify_published(URL, CID, transport=served.transport())


def test_a_changed_parameter_fails(served: Served) -> None:
    """The entry names seed 1; the result was computed with seed 0."""
    live = served.results.live(CID)
    changed = live.params.model_copy(update={"seed": 1})
    served.publish_raw(changed, live.matrix_doc, live.result_doc)
    with pytest.raises(VerificationError, match="parameters"):
        verify_published(URL, CID, transport=served.transport())
    # and a parameter the analysis reads: fewer votes needed for a figure
    changed = live.params.model_copy(update={"min_statement_votes": 1})
    served.publish_raw(changed, live.matrix_doc, live.result_doc)
    with pytest.raises(VerificationError, match="min_statement_votes"):
        verify_published(URL, CID, transport=served.transport())


def test_a_changed_result_document_fails(served: Served) -> None:
    def change(path: str, body: bytes) -> bytes:
        return (
            body.replace(b'"voters":12', b'"voters":13') if path.endswith("/result.json") else body
        )

    with pytest.raises(VerificationError, match="result document"):
        verify_published(URL, CID, transport=served.transport(change))
    # the operator logs a result whose figures were edited: canonical, hash-consistent, wrong
    live = served.results.live(CID)
    edited = parse_result(live.result_doc).model_copy(update={"voters": 13})
    served.publish_raw(live.params, live.matrix_doc, result_bytes(edited))
    with pytest.raises(VerificationError, match="voters"):
        verify_published(URL, CID, transport=served.transport())


def test_the_recomputation_is_the_analysis_itself(served: Served) -> None:
    """The served documents are what the analysis gives for the served matrix."""
    live = served.results.live(CID)
    matrix: VoteMatrix = parse_matrix(live.matrix_doc)
    assert matrix_bytes(matrix) == live.matrix_doc
    assert result_bytes(analyse(matrix, live.params)) == live.result_doc


def test_a_malformed_answer_is_a_failed_verification(served: Served) -> None:
    def change(path: str, body: bytes) -> bytes:
        return b"<html>not json" if path.endswith("/published.json") else body

    with pytest.raises(VerificationError, match="malformed"):
        verify_published(URL, CID, transport=served.transport(change))

    def garble(path: str, body: bytes) -> bytes:
        return b'{"entry": 1}' if path.startswith("/v1/entries/") else body

    with pytest.raises(VerificationError, match="malformed"):
        verify_published(URL, CID, transport=served.transport(garble))
