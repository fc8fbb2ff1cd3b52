"""Checking a consultation's published result from outside (`credo consultation verify`).

Through the public endpoints only: the log entry that published the result
(``consultation.result``, found through ``/consultations/{id}/published.json``, then read
with its inclusion proof under a checkpoint signed by the log's key), the vote matrix and
the result document it names by SHA-256, then the analysis run here on the matrix with the
entry's parameters and seed, byte for byte against the document. Any difference is a
`VerificationError` saying which of these failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import httpx

from credo.client.member import server_witness_policy, verified_entry
from credo.consultation import (
    ALGORITHM,
    ALGORITHM_VERSION,
    parse_matrix,
    parse_params,
    verify,
)
from credo.errors import CredoError, InputError, VerificationError
from credo.ledger.entries import statement_of
from credo.tlog import NoteVerifier, Policy


@dataclass(frozen=True)
class ResultCheck:
    """A result that checked out: where it is on the log and what it covers."""

    consultation: str
    index: int
    matrix: str
    result: str
    participants: int
    statements: int
    votes: int
    checkpoint_size: int


def verify_published(
    url: str,
    consultation_id: str,
    *,
    log_vkey: str | None = None,
    witness_policy: Policy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> ResultCheck:
    """Download, check inclusion, recompute; raise `VerificationError` on any mismatch
    (a malformed answer from the server included)."""
    try:
        return _verify(url, consultation_id, log_vkey, witness_policy, transport)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise VerificationError(f"the server's answer is malformed: {exc}") from exc


def _verify(
    url: str,
    consultation_id: str,
    log_vkey: str | None,
    witness_policy: Policy | None,
    transport: httpx.BaseTransport | None,
) -> ResultCheck:
    with httpx.Client(base_url=url.rstrip("/"), timeout=120, transport=transport) as http:
        base = f"/consultations/{consultation_id}"
        info = _get(http, f"{base}/published.json").json()
        index = info.get("index") if isinstance(info, dict) else None
        if not isinstance(index, int) or index < 0:
            raise VerificationError("the server names no result entry")
        verifier = NoteVerifier.from_vkey(log_vkey or _get(http, "/log/vkey").text.strip())
        policy = witness_policy or server_witness_policy(http)
        logged = verified_entry(_get(http, f"/v1/entries/{index}").json(), index, verifier, policy)
        statement = statement_of(logged.entry)
        body = statement.get("body", {})
        if statement.get("kind") != "consultation.result":
            raise VerificationError(f"entry {index} is a {statement.get('kind')}, not a result")
        if body.get("consultation") != consultation_id:
            raise VerificationError(f"entry {index} publishes {body.get('consultation')!r}")
        if (body.get("algorithm"), body.get("version")) != (ALGORITHM, ALGORITHM_VERSION):
            raise VerificationError(
                f"the entry names {body.get('algorithm')} {body.get('version')}; "
                f"this client recomputes {ALGORITHM} {ALGORITHM_VERSION}"
            )
        matrix_doc = _get(http, f"{base}/matrix.json").content
        result_doc = _get(http, f"{base}/result.json").content
        for what, doc, named in (
            ("vote matrix", matrix_doc, body.get("matrix")),
            ("result document", result_doc, body.get("result")),
        ):
            if hashlib.sha256(doc).hexdigest() != named:
                raise VerificationError(
                    f"the {what} downloaded does not hash to the one entry {index} names"
                )
        try:
            params = parse_params(_json(body.get("params")))
            matrix = parse_matrix(matrix_doc)
        except InputError as exc:
            raise VerificationError(f"the published documents cannot be read: {exc}") from exc
        if params.seed != body.get("seed"):
            raise VerificationError("the entry's seed differs from its parameters' seed")
        verify(matrix, params, result_doc)
    return ResultCheck(
        consultation_id,
        index,
        str(body["matrix"]),
        str(body["result"]),
        len(matrix.participants),
        len(matrix.statements),
        matrix.n_votes,
        logged.size,
    )


def _json(value: object) -> bytes:
    if not isinstance(value, dict):
        raise VerificationError("the entry's parameters are not an object")
    return json.dumps(value).encode()


def _get(http: httpx.Client, path: str) -> httpx.Response:
    try:
        answer = http.get(path)
    except httpx.TransportError as exc:
        raise CredoError(f"cannot reach {http.base_url}: {exc}", code="unreachable") from exc
    if answer.status_code != 200:
        raise VerificationError(f"GET {path} answered {answer.status_code}")
    return answer
