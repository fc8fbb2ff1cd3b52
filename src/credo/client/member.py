"""A member's client of a credo server (httpx, synchronous)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credo.api.httpsig import sign_request
from credo.errors import (
    AuthenticationError,
    Conflict,
    CredoError,
    EntryRejected,
    InputError,
    NotFound,
    PermissionDenied,
    StoreError,
    VerificationError,
)
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.settings import CLIENT_KEEPALIVE_SECONDS
from credo.tlog import (
    Checkpoint,
    NoteVerifier,
    Policy,
    leaf_hash,
    open_checkpoint,
    parse_policy,
    verify_inclusion,
)
from credo.vault import meta_commitment

if TYPE_CHECKING:
    # Imported where a request is made: httpx was 0.13 s of every `credo` command's start,
    # and most commands never call a server.
    import httpx

_ERRORS: dict[int, type[CredoError]] = {
    400: InputError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: InputError,
    422: EntryRejected,
}


@dataclass(frozen=True)
class Submitted:
    index: int
    checkpoint: str
    """The signed checkpoint the server answered with; it covers the entry."""


PREPARE_BATCH = 1000
"""Records per prepare call in `MemberClient.put_records` (the server's limit)."""


@dataclass(frozen=True)
class RecordRequest:
    """One record for `MemberClient.put_records`: what `MemberClient.put_record` takes."""

    national_id: str
    category: str
    type: str
    payload: dict[str, Any]
    effective_at: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "national_id": self.national_id,
            "category": self.category,
            "type": self.type,
            "payload": self.payload,
        }
        if self.effective_at is not None:
            body["effective_at"] = self.effective_at
        return body

    def asked(self) -> dict[str, Any]:
        """What the prepared metadata must hold."""
        return {"category": self.category, "type": self.type} | (
            {} if self.effective_at is None else {"effective_at": self.effective_at}
        )


@dataclass(frozen=True)
class LoggedEntry:
    """An entry whose inclusion in a checkpoint signed by the log's key was verified here."""

    index: int
    entry: bytes
    size: int
    checkpoint: str


def verified_entry(
    got: dict[str, Any], index: int, verifier: NoteVerifier, policy: Policy | None = None
) -> LoggedEntry:
    """The entry in an answer of ``GET /v1/entries/{index}``, once its inclusion proof and
    the checkpoint's signature check out here, and, with a witness ``policy``, the
    checkpoint's cosignatures meet its quorum; raises `VerificationError` otherwise (code
    ``no_quorum`` for a checkpoint short of its quorum)."""
    entry = base64.b64decode(got["entry"])
    checkpoint = verified_checkpoint(got["checkpoint"].encode(), verifier, policy)
    proof = [base64.b64decode(h) for h in got["proof"]]
    verify_inclusion(leaf_hash(entry), index, checkpoint.size, proof, checkpoint.root_hash)
    return LoggedEntry(index, entry, checkpoint.size, got["checkpoint"])


def verified_checkpoint(note: bytes, verifier: NoteVerifier, policy: Policy | None) -> Checkpoint:
    """The checkpoint in ``note``, signed by the log and, with a witness ``policy``,
    cosigned to its quorum (C2SP tlog-policy); `VerificationError` otherwise."""
    if policy is None:
        return open_checkpoint(note, verifier)
    return policy.verify_log_checkpoint(note, verifier).checkpoint


def server_witness_policy(http: httpx.Client) -> Policy | None:
    """The witness policy the server says its consortium adopted (``/log/witness-policy``),
    None if it says none. Trusts the server: a client should pin the policy instead."""
    import httpx

    try:
        answer = http.get("/log/witness-policy")
    except httpx.TransportError as exc:
        raise CredoError(f"cannot reach {http.base_url}: {exc}", code="unreachable") from exc
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        raise VerificationError(f"GET /log/witness-policy answered {answer.status_code}")
    try:
        return parse_policy(answer.content)
    except InputError as exc:
        raise VerificationError(f"the server's witness policy: {exc.message}") from exc


class MemberClient:
    """A member's client: its id, its private key and a server's URL.

    The log's verifier key is pinned with ``log_vkey`` (from the consortium's own records);
    without it, the client asks the server once (``/log/vkey``), which trusts that server.

    Likewise the witness policy (C2SP tlog-policy) is pinned with ``witness_policy``: then
    `entry` accepts a checkpoint only with the policy's quorum of cosignatures. Without it,
    the client asks the server for the policy its consortium adopted at each check, which
    trusts that server not to deny having one.
    """

    def __init__(
        self,
        url: str,
        member: str,
        key: MemberKey,
        *,
        log_vkey: str | None = None,
        witness_policy: Policy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.member = member
        self.key = key
        self._vkey = log_vkey
        self._policy = witness_policy
        import httpx

        self._http = http or httpx.Client(
            base_url=self.url,
            timeout=30,
            limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS),
        )

    @classmethod
    def from_key_file(cls, url: str, member: str, key_file: Path, **kw: Any) -> MemberClient:
        return cls(url, member, MemberKey.load(key_file), **kw)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MemberClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- entries -----------------------------------------------------------------------

    def submit(self, kind: str, body: dict[str, Any], *, at: str | None = None) -> Submitted:
        """Sign a statement of ``kind`` with the member's key and submit it; raise the
        refusal (`EntryRejected` with its code) if the log refuses it."""
        env = make_envelope(kind, self.member, body, [self.key], at=at)
        return self.submit_envelope(envelope_json(env))

    def submit_envelope(self, envelope: dict[str, Any]) -> Submitted:
        outcome = self.submit_envelopes([envelope])[0]
        if isinstance(outcome, EntryRejected):
            raise outcome
        return outcome

    def submit_envelopes(self, envelopes: list[dict[str, Any]]) -> list[Submitted | EntryRejected]:
        """Submit signed entries in one request (one group commit on the server): each one's
        place, or its refusal, in order."""
        answer = self._json("POST", "/v1/entries", content=_dumps({"entries": envelopes}))
        return [
            Submitted(int(result["index"]), str(answer["checkpoint"]))
            if result["status"] == "accepted"
            else EntryRejected(result.get("reason", "refused"), code=result["code"])
            for result in answer["results"]
        ]

    def submit_prepared(self, kind: str, metadata: dict[str, Any]) -> Submitted:
        """Have the server seal a retraction of the member's record, or its answer to a
        dispute about one (``POST /v1/records/prepare-retraction`` or ``-answer``), then
        sign and submit it."""
        path = _PREPARE_PATHS.get(kind)
        if path is None:
            raise InputError(f"the server prepares no {kind!r} entries", code="bad_kind")
        return self._sign_prepared(self.signed("POST", path, metadata), metadata)

    def _sign_prepared(self, prepared: dict[str, Any], asked: dict[str, Any]) -> Submitted:
        return self.submit_envelope(self._checked_envelope(prepared, asked))

    def _checked_envelope(self, prepared: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
        """Sign what the server sealed, once it is what was asked for: the statement is of
        this member, and its commitment is over metadata holding every value asked for."""
        payload = base64.b64decode(prepared["payload"])
        statement = json.loads(payload)
        metadata = prepared["metadata"].encode()
        meta = json.loads(metadata)
        if (
            statement.get("by") != self.member
            or meta_commitment(metadata) != statement.get("body", {}).get("commitment")
            or any(meta.get(k) != v for k, v in asked.items())
        ):
            raise VerificationError(
                "the server's prepared entry is not what was asked for", code="bad_prepared"
            )
        env = sign_envelope(prepared["payloadType"], payload, [self.key])
        return envelope_json(env)

    def attest(self, document: bytes, doc_type: str, note: str = "") -> Submitted:
        """Attest a document by its SHA-256 digest (the document itself never leaves)."""
        digest = "sha256:" + hashlib.sha256(document).hexdigest()
        return self.submit(
            "attestation.issue", {"digest": digest, "doc_type": doc_type, "note": note}
        )

    def entry(self, index: int) -> LoggedEntry:
        """The entry at ``index``, after checking here that it is in a checkpoint signed by
        the log's key (RFC 9162 inclusion proof, C2SP signed note) and cosigned by the
        witness policy's quorum (C2SP tlog-policy), if there is a policy; raises
        `VerificationError` otherwise (code ``no_quorum``: not yet or not enough cosigned;
        a fresh checkpoint gets its cosignatures within the log's witness timeout)."""
        policy = self._policy or server_witness_policy(self._http)
        got = self._json("GET", f"/v1/entries/{index}")
        return verified_entry(got, index, self._verifier(), policy)

    # -- people's data ------------------------------------------------------------------

    def put_record(
        self,
        national_id: str,
        category: str,
        type_: str,
        payload: dict[str, Any],
        effective_at: str | None = None,
    ) -> tuple[str, Submitted]:
        """Prepare a record (the server seals the payload in its vault), sign the statement
        it hands back, submit it. Returns the record id and where it was logged."""
        body: dict[str, Any] = {
            "national_id": national_id,
            "category": category,
            "type": type_,
            "payload": payload,
        }
        if effective_at is not None:
            body["effective_at"] = effective_at
        prepared = self.signed("POST", "/v1/records/prepare", body)
        asked = {"category": category, "type": type_} | (
            {} if effective_at is None else {"effective_at": effective_at}
        )
        return str(prepared["record_id"]), self._sign_prepared(prepared, asked)

    def put_records(
        self, records: list[RecordRequest], batch: int = PREPARE_BATCH
    ) -> list[tuple[str, Submitted | EntryRejected]]:
        """`put_record` for many records, ``batch`` at a time: one prepare call
        (``POST /v1/records/prepare-batch``) and one submission per batch. Every prepared
        entry is checked before any of its batch is signed; a refused entry is returned,
        not raised (the others of its batch are logged all the same)."""
        out: list[tuple[str, Submitted | EntryRejected]] = []
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            answer = self.signed(
                "POST", "/v1/records/prepare-batch", {"records": [r.body() for r in chunk]}
            )
            prepared = answer["entries"]
            if len(prepared) != len(chunk):
                raise VerificationError(
                    "the server prepared another number of records than asked", code="bad_prepared"
                )
            envelopes = [
                self._checked_envelope(p, r.asked()) for p, r in zip(prepared, chunk, strict=True)
            ]
            outcomes = self.submit_envelopes(envelopes)
            out += [(str(p["record_id"]), o) for p, o in zip(prepared, outcomes, strict=True)]
        return out

    def read(
        self, national_id: str, purpose: str, basis: tuple[str, str], categories: list[str]
    ) -> dict[str, Any]:
        """Read a person's records under ``purpose`` and ``basis`` (("consent", id) or
        ("mandate", id)); the read is logged, granted or refused, for the person to see."""
        body = {
            "national_id": national_id,
            "purpose": purpose,
            "basis": {"type": basis[0], "id": basis[1]},
            "categories": categories,
        }
        return self.signed("POST", "/v1/access", body)

    def signed(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A member call signed with RFC 9421 over method, path, query and body digest."""
        raw = _dumps(body)
        headers = {"content-type": "application/json"} | sign_request(self.key, method, path, raw)
        return self._json(method, path, content=raw, headers=headers)

    # -- plumbing -----------------------------------------------------------------------

    def _verifier(self) -> NoteVerifier:
        if self._vkey is None:
            self._vkey = self._text("/log/vkey").strip()
        return NoteVerifier.from_vkey(self._vkey)

    def _text(self, path: str) -> str:
        return self._send("GET", path).text

    def _json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._send(method, path, **kw).json()
        return answer

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        if "content" in kw and "headers" not in kw:
            kw["headers"] = {"content-type": "application/json"}
        import httpx

        try:
            r = self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise CredoError(f"cannot reach {self.url}: {exc}", code="unreachable") from exc
        if r.status_code < 400 or (r.status_code == 422 and path == "/v1/entries"):
            return r
        raise _problem(r)


_PREPARE_PATHS = {
    "record.retract": "/v1/records/prepare-retraction",
    "dispute.answer": "/v1/records/prepare-answer",
}


def _problem(r: httpx.Response) -> CredoError:
    """The server's RFC 9457 problem as the credo error of its status, with its code."""
    try:
        body = r.json()
        code, detail = str(body["code"]), str(body.get("detail", body.get("title", "")))
    except (ValueError, KeyError, TypeError):
        code, detail = "http_error", f"HTTP {r.status_code}"
    cls = _ERRORS.get(r.status_code, StoreError if r.status_code >= 500 else CredoError)
    return cls(detail, code=code)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
