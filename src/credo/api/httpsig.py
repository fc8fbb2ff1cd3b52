"""HTTP Message Signatures (RFC 9421) with Ed25519, over a body digest (RFC 9530).

The profile credo uses, both to sign (members' clients, the CLI, tests) and to verify (the
API): covered components ``"@method" "@path" "content-digest"``, plus ``"@query"`` (RFC 9421
section 2.2.7), which must be covered when the request has a query string; parameters
``created``, ``keyid`` (the member's key id), ``nonce``, optionally ``expires`` and
``alg="ed25519"``; one signature, labelled ``sig1``. The signature base lists the components
in the order the signature declares them (section 2.5). Pure functions over strings and
bytes; the API wires them to requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from credo.errors import AuthenticationError
from credo.ledger.keys import MemberKey

COMPONENTS = ("@method", "@path", "content-digest")
QUERY = "@query"
LABEL = "sig1"
ALG = "ed25519"

_ITEM = r'"[a-z@][a-z0-9@_-]*"'
_MEMBER = re.compile(
    rf"^(?P<label>[a-z][a-z0-9_-]{{0,31}})=\((?P<items>(?:{_ITEM}(?: {_ITEM})*)?)\)"
    r'(?P<params>(?:;[a-z][a-z0-9_-]*=(?:"[\x20-\x21\x23-\x5b\x5d-\x7e]*"|-?\d{1,15}))*)$'
)
_PARAM = re.compile(r';([a-z][a-z0-9_-]*)=("[^"]*"|-?\d+)')
_SIGNATURE = re.compile(r"^(?P<label>[a-z][a-z0-9_-]{0,31})=:(?P<sig>[A-Za-z0-9+/]+={0,2}):$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def content_digest(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` with SHA-256, as a structured-field dictionary."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


@dataclass(frozen=True, slots=True)
class SignatureInput:
    label: str
    components: tuple[str, ...]
    created: int
    keyid: str
    nonce: str
    params_text: str  # the member's value exactly as sent: the @signature-params line
    expires: int | None = None


def signature_base(
    method: str,
    path: str,
    digest: str,
    params_text: str,
    *,
    components: Sequence[str] = COMPONENTS,
    query: str = "",
) -> bytes:
    """RFC 9421 section 2.5: one line per covered component, in ``components``' order, then
    ``@signature-params``. ``query`` is the request's query string as sent, without the
    ``?``; ``@query`` is ``?`` followed by it, so ``?`` alone when there is none."""
    values = {
        "@method": method.upper(),
        "@path": path,
        QUERY: f"?{query}",
        "content-digest": digest,
    }
    lines = [f'"{name}": {values[name]}' for name in components]
    lines.append(f'"@signature-params": {params_text}')
    return "\n".join(lines).encode()


def parse_signature_input(header: str) -> SignatureInput:
    """Parse a ``Signature-Input`` with exactly one member in credo's profile, strictly."""
    m = _MEMBER.match(header.strip())
    if m is None:
        raise AuthenticationError(
            "Signature-Input is not one RFC 9421 signature member", code="bad_signature"
        )
    components = tuple(item.strip('"') for item in m["items"].split(" ") if item)
    if sorted(components) not in (sorted(COMPONENTS), sorted((*COMPONENTS, QUERY))):
        raise AuthenticationError(
            f"the signature must cover exactly {' '.join(COMPONENTS)}, and {QUERY} if the "
            "request has a query string",
            code="bad_signature",
        )
    params: dict[str, str] = {}
    for name, value in _PARAM.findall(m["params"]):
        if name in params:
            raise AuthenticationError(f"parameter {name} is repeated", code="bad_signature")
        params[name] = value
    unknown = set(params) - {"created", "keyid", "nonce", "alg", "expires"}
    if unknown:
        raise AuthenticationError(
            f"unsupported signature parameters {sorted(unknown)}", code="bad_signature"
        )
    for needed in ("created", "keyid", "nonce"):
        if needed not in params:
            raise AuthenticationError(
                f"the signature has no {needed} parameter", code="bad_signature"
            )
    if params.get("alg", f'"{ALG}"') != f'"{ALG}"':
        raise AuthenticationError("alg must be ed25519", code="bad_signature")
    created, keyid, nonce = params["created"], params["keyid"], params["nonce"]
    expires = params.get("expires")
    if (
        created.startswith('"')
        or (expires is not None and expires.startswith('"'))
        or not keyid.startswith('"')
        or not nonce.startswith('"')
    ):
        raise AuthenticationError(
            "created and expires are integers; keyid and nonce are strings", code="bad_signature"
        )
    if not _NONCE.match(nonce.strip('"')):
        raise AuthenticationError("nonce must be 16-128 URL-safe characters", code="bad_signature")
    return SignatureInput(
        m["label"],
        components,
        int(created),
        keyid.strip('"'),
        nonce.strip('"'),
        header.strip()[len(m["label"]) + 1 :],
        None if expires is None else int(expires),
    )


def parse_signature(header: str, label: str) -> bytes:
    m = _SIGNATURE.match(header.strip())
    if m is None or m["label"] != label:
        raise AuthenticationError(
            f"Signature must be one member {label}=:<base64>:", code="bad_signature"
        )
    try:
        sig = base64.b64decode(m["sig"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuthenticationError("Signature is not valid base64", code="bad_signature") from exc
    if len(sig) != 64:
        raise AuthenticationError("an Ed25519 signature is 64 bytes", code="bad_signature")
    return sig


def request_digest(base: bytes, signature: bytes) -> str:
    """What an access entry records of the member's request: SHA-256 over the signature base
    and the signature. It binds the member's signed request to the log without putting the
    request on it; the base holds a random nonce, so the digest cannot be used to test
    guesses of the national id in the (digested) body."""
    return "sha256:" + hashlib.sha256(base + b"\n" + signature).hexdigest()


def sign_request(
    key: MemberKey,
    method: str,
    path: str,
    body: bytes,
    *,
    created: int | None = None,
    nonce: str | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    """The headers a member's client adds: Content-Digest, Signature-Input, Signature.

    ``path`` is the request target as it will be sent: with a ``?query``, the signature
    covers ``@query`` too (send the query exactly as signed, encoding included). ``expires``
    (a UNIX time) makes the signature unacceptable after it.
    """
    path, has_query, query = path.partition("?")
    components = (*COMPONENTS[:2], QUERY, *COMPONENTS[2:]) if has_query else COMPONENTS
    digest = content_digest(body)
    items = " ".join(f'"{c}"' for c in components)
    params = (
        f"({items});created={int(time.time()) if created is None else created}"
        + ("" if expires is None else f";expires={expires}")
        + f';keyid="{key.key_id}";nonce="{nonce or secrets.token_urlsafe(18)}";alg="{ALG}"'
    )
    base = signature_base(method, path, digest, params, components=components, query=query)
    sig = key.sign(base)
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(sig).decode()}:",
    }
