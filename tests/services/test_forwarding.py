"""A standby's forwarding over HTTP (`credo.services.forwarding`): what is sent, how answers
become outcomes, and which failures may be retried (only those that prove nothing was
written)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from credo.errors import EntryRejected, NotSequencer, Overloaded, Unavailable
from credo.ledger import validate
from credo.ledger.sequencer import Accepted
from credo.ledger.validate import Decoded
from credo.services import forwarding
from credo.services.forwarding import FORWARDED_HEADER, VOUCH_HEADER, Forwarder, vouched
from credo.services.node import Node
from tests.conftest import attestation
from tests.e2e._server import free_port

URL = "http://sequencer.test:8000"
Handler = Callable[[httpx.Request], httpx.Response]


def _entries(ledger: Node, count: int) -> list[Decoded]:
    checked = ledger.validator.validate_entries(
        [attestation(ledger.data.root, n) for n in range(count)]
    )
    assert all(isinstance(c, Decoded) for c in checked)
    return checked  # type: ignore[return-value]


def _forwarder(handler: Handler) -> Forwarder:
    return Forwarder(transport=httpx.MockTransport(handler))


def _sequencer_at(start: int, seen: list[httpx.Request]) -> Handler:
    """Accepts every entry but the second of each request, numbering from ``start``."""
    next_index = [start]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        results = []
        for i, _ in enumerate(json.loads(request.content)["entries"]):
            if i == 1:
                results.append({"status": "rejected", "code": "duplicate", "reason": "seen"})
            else:
                results.append({"status": "accepted", "index": next_index[0]})
                next_index[0] += 1
        return httpx.Response(207, json={"accepted": 0, "rejected": 1, "results": results})

    return handle


def test_entries_go_as_their_envelopes_and_come_back_as_outcomes(ledger: Node) -> None:
    entries = _entries(ledger, 3)
    seen: list[httpx.Request] = []
    outcomes = _forwarder(_sequencer_at(7, seen))(URL + "/", entries)
    assert [str(r.url) for r in seen] == [f"{URL}/v1/entries"]
    assert seen[0].headers[FORWARDED_HEADER] == "1"
    sent = json.loads(seen[0].content)["entries"]
    assert [json.dumps(e, separators=(",", ":")).encode() for e in sent] == [
        e.stored for e in entries
    ]
    assert outcomes[0] == Accepted(7, entries[0].leaf_hash)
    assert isinstance(outcomes[1], EntryRejected)
    assert outcomes[1].code == "duplicate"
    assert outcomes[2] == Accepted(8, entries[2].leaf_hash)


def test_siblings_vouch_for_what_they_verified_and_for_nothing_else(ledger: Node) -> None:
    """A forwarder holding the siblings' key vouches for each request's exact bytes; one
    holding none (another host) vouches for nothing; a request holding a signature this
    process could not verify (a key it did not know yet) goes without a vouch."""
    entries = _entries(ledger, 3)
    key = b"s" * 32
    seen: list[httpx.Request] = []
    sibling = Forwarder(transport=httpx.MockTransport(_sequencer_at(0, seen)), vouch_key=key)
    sibling(URL, entries)
    assert vouched(key, seen[0].content, seen[0].headers[VOUCH_HEADER])
    assert not vouched(b"o" * 32, seen[0].content, seen[0].headers[VOUCH_HEADER])
    _forwarder(_sequencer_at(0, seen))(URL, entries)
    assert VOUCH_HEADER not in seen[1].headers
    unchecked = entries[1]._replace(unverified=(("a-key-id", b"sig"),))
    sibling(URL, [entries[0], unchecked, entries[2]])
    assert VOUCH_HEADER not in seen[2].headers


def test_a_large_group_goes_in_requests_within_the_apis_limits(
    ledger: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forwarding, "MAX_BATCH_ENTRIES", 2)
    entries = _entries(ledger, 5)
    seen: list[httpx.Request] = []
    outcomes = _forwarder(_sequencer_at(0, seen))(URL, entries)
    assert [len(json.loads(r.content)["entries"]) for r in seen] == [2, 2, 1]
    assert len(outcomes) == 5
    assert all(len(r.content) <= validate.MAX_BATCH_BYTES for r in seen)


def test_a_connection_never_made_may_be_retried(ledger: Node) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(NotSequencer, match="cannot be reached"):
        _forwarder(refuse)(URL, _entries(ledger, 1))


def test_over_a_real_socket_sending_is_signalled_only_once_a_request_goes_out(
    ledger: Node,
) -> None:
    """The sequencer gives up on a forward when the lease moves only once something was sent
    (`Sequencer._forwarded`): a refused connection must not say so, a request must."""
    forward, refused, sending = Forwarder(), free_port(), threading.Event()
    with pytest.raises(NotSequencer, match="cannot be reached"):
        forward(f"http://127.0.0.1:{refused}", _entries(ledger, 1), sending)
    assert not sending.is_set()

    class Sequencer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            count = len(json.loads(self.rfile.read(int(self.headers["Content-Length"])))["entries"])
            body = json.dumps({"results": [{"status": "accepted", "index": 0}] * count}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Sequencer)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert len(forward(url, _entries(ledger, 1), sending)) == 1
        assert sending.is_set()
    finally:
        forward.close()
        server.server_close()


def test_a_sequencer_that_is_one_no_more_may_be_retried(ledger: Node) -> None:
    def stood_down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"code": "not_sequencer", "status": 503})

    with pytest.raises(NotSequencer):
        _forwarder(stood_down)(URL, _entries(ledger, 1))


def test_a_sequencer_at_capacity_did_nothing_and_its_retry_after_is_handed_on(
    ledger: Node,
) -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        doc = {"code": "overloaded", "status": 503}
        return httpx.Response(503, json=doc, headers={"Retry-After": "4"})

    with pytest.raises(Overloaded) as refused:
        _forwarder(busy)(URL, _entries(ledger, 1))
    assert (refused.value.code, refused.value.status, refused.value.retry_after) == (
        "overloaded",
        503,
        4,
    )


def test_a_submission_refused_at_the_sequencers_capacity_is_answered_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the member sees: 503 ``overloaded`` with Retry-After, as from the process it
    asked, never an unknown outcome."""

    def at_capacity(url: str, entries: list[Decoded], sending: threading.Event) -> list[object]:
        sending.set()
        raise Overloaded("the active sequencer is at capacity", retry_after=4)

    node = client.app.state.node  # type: ignore[attr-defined]
    lease = node.sequencer.lease
    assert lease is not None
    node.store.release_lease(lease.holder)
    node.store.claim_lease("another", "http://another.test", 60)
    lease.refresh()
    monkeypatch.setattr(node.sequencer, "forward", at_capacity)
    answer = client.post("/v1/entries", json={"entries": [attestation(node.data.root, 1)]})
    assert answer.status_code == 503
    assert answer.json()["code"] == "overloaded"
    assert answer.headers["retry-after"] == "4"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.ReadTimeout, "forward_unknown"),
        (httpx.RemoteProtocolError, "forward_unknown"),
        (httpx.Response(500, text="oops"), "forward_failed"),
        (httpx.Response(503, json={"code": "store_error"}), "forward_failed"),
        (httpx.Response(200, json={"results": []}), "forward_failed"),
        (
            httpx.Response(200, json={"results": [{"status": "accepted", "index": -1}]}),
            "unavailable",
        ),
    ],
    ids=["timeout", "reset", "500", "store-down", "too-few-results", "bad-index"],
)
def test_an_answer_that_may_follow_a_commit_is_an_error_never_a_retry(
    ledger: Node, answer: type[httpx.HTTPError] | httpx.Response, code: str
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("lost", request=request)

    with pytest.raises(Unavailable) as failed:
        _forwarder(handle)(URL, _entries(ledger, 1))
    assert not isinstance(failed.value, NotSequencer)
    assert failed.value.code == code
    assert failed.value.status == 503


def test_a_failure_after_a_first_request_was_taken_is_not_retried(
    ledger: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forwarding, "MAX_BATCH_ENTRIES", 1)
    seen: list[httpx.Request] = []
    accept = _sequencer_at(0, seen)

    def once(request: httpx.Request) -> httpx.Response:
        if seen:
            raise httpx.ConnectError("gone", request=request)
        return accept(request)

    with pytest.raises(Unavailable) as failed:
        _forwarder(once)(URL, _entries(ledger, 2))
    assert failed.value.code == "forward_incomplete"
    assert not isinstance(failed.value, NotSequencer)


def test_forwarded_submissions_are_not_forwarded_again(client: TestClient) -> None:
    """The API hands a body marked as forwarded to the sequencer as not forwardable: a
    process that is not the sequencer answers 503 not_sequencer rather than send it on."""
    node = client.app.state.node  # type: ignore[attr-defined]
    lease = node.sequencer.lease
    assert lease is not None
    assert lease.role().active
    node.store.release_lease(lease.holder)
    node.store.claim_lease("another", "http://another.test", 60)
    lease.refresh()
    body = json.dumps({"entries": [attestation(node.data.root, 1)]})
    answer = client.post(
        "/v1/entries",
        content=body,
        headers={"Content-Type": "application/json", FORWARDED_HEADER: "1"},
    )
    assert answer.status_code == 503
    assert answer.json()["code"] == "not_sequencer"
