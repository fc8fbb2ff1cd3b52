"""Building signed entries: what a member's client does before it submits."""

from __future__ import annotations

import base64
import json
from typing import Any

from credo.ledger.dsse import Envelope, encode_envelope, payload_type_for, sign_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.schema import utc_now


def make_payload(kind: str, by: str, body: dict[str, Any], at: str | None = None) -> bytes:
    doc = {"v": 1, "kind": kind, "by": by, "at": at or utc_now(), "body": body}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def make_envelope(
    kind: str, by: str, body: dict[str, Any], keys: list[MemberKey], at: str | None = None
) -> Envelope:
    return sign_envelope(payload_type_for(kind), make_payload(kind, by, body, at), keys)


def envelope_json(env: Envelope) -> dict[str, Any]:
    """The envelope as the JSON object ``POST /v1/entries`` takes."""
    obj: dict[str, Any] = json.loads(encode_envelope(env))
    return obj


def public_key_b64(key: MemberKey) -> str:
    return base64.b64encode(key.public_key).decode()


def statement_of(envelope: bytes) -> dict[str, Any]:
    """The statement inside a stored DSSE envelope (bytes the log has already checked)."""
    statement: dict[str, Any] = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return statement
