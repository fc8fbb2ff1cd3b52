"""DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1) in compact JSON.

The log's leaf is the envelope's exact stored bytes, produced once by `encode_envelope`; a
verifier parses those bytes and checks the signatures over the pre-authentication encoding,
so nobody ever re-canonicalises JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from credo.errors import EntryRejected
from credo.ledger.keys import MemberKey

PAYLOAD_TYPE_PREFIX = "application/vnd.credo."
PAYLOAD_TYPE_SUFFIX = "+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def payload_type_for(kind: str) -> str:
    return f"{PAYLOAD_TYPE_PREFIX}{kind}{PAYLOAD_TYPE_SUFFIX}"


def kind_of(payload_type: str) -> str:
    if not (
        payload_type.startswith(PAYLOAD_TYPE_PREFIX) and payload_type.endswith(PAYLOAD_TYPE_SUFFIX)
    ):
        raise EntryRejected(
            f"payloadType {payload_type!r} is not application/vnd.credo.<kind>+json",
            code="bad_payload_type",
        )
    return payload_type[len(PAYLOAD_TYPE_PREFIX) : -len(PAYLOAD_TYPE_SUFFIX)]


@dataclass(frozen=True, slots=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)


_SAFE = re.compile(r"^[A-Za-z0-9._+/-]{1,128}$")


def encode_envelope(env: Envelope) -> bytes:
    """The one serialisation credo stores: compact JSON, keys in this fixed order.

    Equal to ``json.dumps(doc, separators=(",", ":"))`` (a test checks it); written out by hand
    because it runs once per submitted entry and every string in it is escape-free (base64,
    and a payloadType and key ids restricted to `_SAFE` characters).
    """
    if not _SAFE.match(env.payload_type) or not all(_SAFE.match(s.keyid) for s in env.signatures):
        raise EntryRejected(
            "payloadType and keyid may use only letters, digits and ._+/-", code="bad_envelope"
        )
    sigs = ",".join(
        f'{{"keyid":"{s.keyid}","sig":"{base64.b64encode(s.sig).decode()}"}}'
        for s in env.signatures
    )
    payload = base64.b64encode(env.payload).decode()
    return (
        f'{{"payload":"{payload}","payloadType":"{env.payload_type}","signatures":[{sigs}]}}'
    ).encode()


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise EntryRejected(f"{what} must be a base64 string", code="bad_base64")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EntryRejected(f"{what} is not valid base64: {exc}", code="bad_base64") from exc


def parse_envelope(obj: Any) -> Envelope:
    """Parse a decoded JSON object as a DSSE envelope, strictly."""
    if not isinstance(obj, dict):
        raise EntryRejected("an entry must be a JSON object (a DSSE envelope)", code="bad_envelope")
    extra = set(obj) - {"payload", "payloadType", "signatures"}
    if extra:
        raise EntryRejected(f"unexpected envelope fields: {sorted(extra)}", code="bad_envelope")
    ptype = obj.get("payloadType")
    if not isinstance(ptype, str):
        raise EntryRejected("payloadType must be a string", code="bad_envelope")
    payload = _b64(obj.get("payload"), "payload")
    sigs = obj.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise EntryRejected("signatures must be a non-empty list", code="bad_envelope")
    if len(sigs) > 8:
        raise EntryRejected("at most 8 signatures per envelope", code="bad_envelope")
    parsed = []
    for s in sigs:
        if (
            not isinstance(s, dict)
            or not isinstance(s.get("keyid"), str)
            or set(s)
            - {
                "keyid",
                "sig",
            }
        ):
            raise EntryRejected(
                "each signature must be {keyid: string, sig: base64}", code="bad_envelope"
            )
        sig = _b64(s.get("sig"), "signature")
        if len(sig) != 64:
            raise EntryRejected("an Ed25519 signature is 64 bytes", code="bad_signature")
        parsed.append(Signature(s["keyid"], sig))
    return Envelope(ptype, payload, tuple(parsed))


def parse_envelope_bytes(data: bytes) -> Envelope:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EntryRejected(f"entry is not valid JSON: {exc}", code="bad_json") from exc
    return parse_envelope(obj)


def sign_envelope(payload_type: str, payload: bytes, keys: list[MemberKey]) -> Envelope:
    message = pae(payload_type, payload)
    sigs = tuple(Signature(k.key_id, k.sign(message)) for k in keys)
    return Envelope(payload_type, payload, sigs)
