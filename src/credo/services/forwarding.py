"""A standby process's submissions, sent to the active sequencer (`credo.ledger.lease`).

The entries have passed this process's validation. They go to the sequencer's public
``POST /v1/entries`` exactly as a member would send them (their DSSE envelopes, in at most
`MAX_BATCH_ENTRIES` and `MAX_BATCH_BYTES` a request), where they are validated again.
`FORWARDED_HEADER` tells it not to forward them on, so a submission can never go round
between two processes that each think the other is the sequencer.

Siblings, the serving processes one `credo serve` started, share a key that only their
parent made and handed them (never written down, never in the environment). With it a
standby vouches for a request whose every signature it verified (`VOUCH_HEADER`: HMAC-SHA256
of the body), and the sequencer, finding the vouch good, checks everything else again but
not the Ed25519 signatures, most of an attestation's validation. A vouch says only that the
signatures in these exact bytes verify by the keys they name: a property of the bytes, so a
replayed request gains nothing a member resending them would not. Anyone else (another host,
a member, a request without the key) is validated in full, as before.

What may be retried is decided here, by what is certain: a connection that was never made,
or a sequencer that answers that it is not one (503 ``not_sequencer``), wrote nothing, and
`NotSequencer` says so; a sequencer at capacity (503 ``overloaded``) did nothing either,
and `Overloaded` hands its Retry-After on to the submitter; a lost answer (a timeout or a
reset after the request was sent) may follow a commit, so it is an error the submitter
sees, and the entries are not sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from credo.errors import NotSequencer, Overloaded, Unavailable, rejected
from credo.lazy_client import LazyClient
from credo.ledger.sequencer import CONNECT_SECONDS, Accepted, Outcome
from credo.ledger.validate import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, Decoded
from credo.settings import CLIENT_KEEPALIVE_SECONDS

FORWARDED_HEADER = "Credo-Forwarded"
VOUCH_HEADER = "Credo-Vouch"
VOUCH_KEY_BYTES = 32
TIMEOUT_SECONDS = 30.0
"""How long the active sequencer may take to answer one forwarded request: a group commit
under load, not a dead host (a dead host refuses the connection, or the lease says so)."""

if TYPE_CHECKING:
    import httpx


def vouch(key: bytes, body: bytes) -> str:
    """A sibling's word that every signature in ``body`` verifies."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def vouched(key: bytes | None, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is a good vouch for ``body`` under the siblings' ``key``."""
    if key is None or header is None:
        return False
    return hmac.compare_digest(vouch(key, body), header)


class Forwarder:
    """`credo.ledger.sequencer.Forward` over HTTP. ``vouch_key``: the key this process's
    siblings share, if it has siblings."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        vouch_key: bytes | None = None,
    ) -> None:
        self.vouch_key = vouch_key

        def make() -> httpx.Client:
            import httpx

            return httpx.Client(
                timeout=httpx.Timeout(timeout, connect=CONNECT_SECONDS),
                limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS),
                transport=transport,
                follow_redirects=False,
            )

        self._client = LazyClient(make)  # the process that is the sequencer never forwards

    @property
    def _http(self) -> httpx.Client:
        return self._client.get()

    def __call__(
        self, url: str, entries: list[Decoded], sending: threading.Event | None = None
    ) -> list[Outcome]:
        """``sending`` is set as the first request's head starts out (httpcore's trace):
        before that, nothing of the entries left this process."""
        sending = sending or threading.Event()
        outcomes: list[Outcome] = []
        for sent, chunk in enumerate(_requests(entries)):
            try:
                outcomes += self._send(url, chunk, sending)
            except (NotSequencer, Overloaded):
                if sent:  # earlier requests were sequenced: the rest must not be retried alone
                    raise Unavailable(
                        f"the active sequencer at {url} took {len(outcomes)} of "
                        f"{len(entries)} forwarded entries, then stopped answering",
                        code="forward_incomplete",
                    ) from None
                raise
        return outcomes

    def _send(self, url: str, chunk: list[Decoded], sending: threading.Event) -> list[Outcome]:
        body = b'{"entries":[' + b",".join(e.stored for e in chunk) + b"]}"
        headers = {"Content-Type": "application/json", FORWARDED_HEADER: "1"}
        # A signature by a key this process did not know was left unverified: no vouch then.
        if self.vouch_key is not None and not any(e.unverified for e in chunk):
            headers[VOUCH_HEADER] = vouch(self.vouch_key, body)
        http = self._http
        import httpx  # loaded by `_http`

        def trace(event: str, info: object) -> None:
            if event.endswith("send_request_headers.started"):
                sending.set()

        try:
            answer = http.post(
                f"{url.rstrip('/')}/v1/entries",
                content=body,
                headers=headers,
                extensions={"trace": trace},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NotSequencer(f"the sequencer at {url} cannot be reached: {exc}") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"no answer from the active sequencer at {url} ({type(exc).__name__}); the "
                "entries may or may not have been sequenced: look them up before resending",
                code="forward_unknown",
            ) from exc
        doc = _json(answer)
        if answer.status_code == 503 and doc.get("code") == "not_sequencer":
            raise NotSequencer(f"{url} is no longer the sequencer")
        if answer.status_code == 503 and doc.get("code") == "overloaded":
            raise Overloaded(
                f"the active sequencer at {url} is at capacity and did nothing with these "
                "entries; send them again after Retry-After",
                retry_after=_seconds(answer.headers.get("retry-after")),
            )
        results = doc.get("results")
        if answer.status_code not in (200, 207, 422) or not isinstance(results, list):
            raise Unavailable(
                f"the active sequencer at {url} answered HTTP {answer.status_code} "
                f"({doc.get('code', 'no problem code')})",
                code="forward_failed",
            )
        if len(results) != len(chunk):
            raise Unavailable(
                f"the active sequencer at {url} answered {len(results)} results for "
                f"{len(chunk)} entries",
                code="forward_failed",
            )
        return [_outcome(entry, result) for entry, result in zip(chunk, results, strict=True)]

    def close(self) -> None:
        self._client.close()


def _requests(entries: list[Decoded]) -> Iterator[list[Decoded]]:
    """The entries in order, in as few requests as the API's limits allow."""
    chunk: list[Decoded] = []
    size = 0
    for entry in entries:
        if chunk and (
            len(chunk) == MAX_BATCH_ENTRIES or size + len(entry.stored) + 64 > MAX_BATCH_BYTES
        ):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += len(entry.stored) + 1
    if chunk:
        yield chunk


def _seconds(retry_after: str | None) -> int:
    """A Retry-After in seconds (the sequencer sends only those), else 1."""
    if retry_after is not None and retry_after.isdigit():
        return max(1, min(int(retry_after), 3600))
    return 1


def _json(answer: httpx.Response) -> dict[str, object]:
    try:
        doc = json.loads(answer.content)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _outcome(entry: Decoded, result: object) -> Outcome:
    if isinstance(result, dict) and result.get("status") == "accepted":
        index = result.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
            return Accepted(index, entry.leaf_hash)
    if isinstance(result, dict) and result.get("status") == "rejected":
        return rejected(str(result.get("reason", "")), str(result.get("code", "rejected")))
    raise Unavailable(f"the active sequencer answered an unreadable result: {result!r:.200}")
