"""A software WebAuthn authenticator and client for the tests: EC P-256 keys (ES256), the
"none" attestation, and the JSON a browser's ``navigator.credentials.create()`` and ``get()``
hand a page (``PublicKeyCredential.toJSON()``), built byte by byte as WebAuthn Level 2 says.

It does what a browser and a platform authenticator would: it checks the RP id of the
options it is given, keeps its discoverable credentials, and counts signatures. Tests bend
it to misbehave on purpose (another origin, another challenge, a counter going back).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
AAGUID = bytes(16)  # "none" attestation: an all-zero AAGUID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One discoverable credential the authenticator holds."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    """An authenticator and the browser in front of it, for one RP id and one origin."""

    rp_id: str
    origin: str
    user_verified: bool = True
    credentials: list[Credential] = field(default_factory=list)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _flags(self, *extra: int) -> int:
        flags = UP | (UV if self.user_verified else 0)
        for bit in extra:
            flags |= bit
        return flags

    def create(
        self,
        options_json: str,
        *,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
    ) -> str:
        """Answer registration options (their JSON) as ``navigator.credentials.create()``;
        ``origin``, ``challenge`` and ``rp_id`` override what an honest browser would use."""
        options = json.loads(options_json)
        assert options["rp"]["id"] == self.rp_id, "the options name another RP id"
        assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
        key = ec.generate_private_key(ec.SECP256R1())
        cred = Credential(
            id=os.urandom(32),
            key=key,
            rp_id=self.rp_id,
            user_handle=unb64url(options["user"]["id"]),
        )
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        auth_data = (
            hashlib.sha256((rp_id or self.rp_id).encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", cred.sign_count)
            + AAGUID
            + struct.pack(">H", len(cred.id))
            + cred.id
            + cose_key
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        self.credentials.append(cred)
        return json.dumps(
            {
                "id": b64url(cred.id),
                "rawId": b64url(cred.id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal", "hybrid"],
                },
            }
        )

    def get(
        self,
        options_json: str,
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        challenge: str | None = None,
        sign_count: int | None = None,
    ) -> str:
        """Answer authentication options as ``navigator.credentials.get()`` with a
        discoverable credential (the last registered unless ``credential``); ``sign_count``
        sets the counter it reports (a clone's)."""
        options = json.loads(options_json)
        assert options["rpId"] == self.rp_id, "the options name another RP id"
        cred = credential or self.credentials[-1]
        if sign_count is None:
            cred.sign_count += 1
            sign_count = cred.sign_count
        auth_data = (
            hashlib.sha256(cred.rp_id.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", sign_count)
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = cred.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(cred.id),
                "rawId": b64url(cred.id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(cred.user_handle),
                },
            }
        )

    def parsed(self, response_json: str) -> dict[str, Any]:
        """A response's JSON as a dict (for tests that tamper with it)."""
        result: dict[str, Any] = json.loads(response_json)
        return result
