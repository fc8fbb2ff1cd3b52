"""Member authentication for every non-public API call: RFC 9421 HTTP Message Signatures with
Ed25519 (profile in `credo.api.httpsig`), checked before the request body is even parsed.

Refusals are 401 problems with a code: ``unauthenticated`` (no signature), ``bad_signature``
(malformed, stale, replayed, wrong digest or not verifying), ``signature_expired`` (its
``expires`` has passed), ``query_not_covered`` (a query string the signature does not cover
with ``@query``), ``unknown_member`` (no member holds the key) and ``retired``.
Authorization (roles, purposes) is the route's and the ledger's job.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from credo.api.httpsig import (
    QUERY,
    SignatureInput,
    content_digest,
    parse_signature,
    parse_signature_input,
    request_digest,
    signature_base,
)
from credo.errors import AuthenticationError, EntryRejected, InputError, PermissionDenied
from credo.ledger.strict_json import key_count, refuse_duplicate_keys
from credo.ledger.validate import verify_ed25519
from credo.store import MemberRow, Store

MAX_SKEW_SECONDS = 300
MAX_SIGNED_BODY = 64 * 1024
M = TypeVar("M", bound=BaseModel)


class BodyTooLarge(InputError):
    code = "body_too_large"
    status = 413


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The member a request is from, and the digest binding its signed request."""

    member: MemberRow
    request_digest: str
    body: bytes


class NonceCache:
    """Nonces seen within the acceptance window (in memory: one API process per cache)."""

    def __init__(self, window: int = MAX_SKEW_SECONDS) -> None:
        self.window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, key: str, now: float) -> None:
        with self._lock:
            if len(self._seen) > 1024:
                self._seen = {k: t for k, t in self._seen.items() if t > now - 2 * self.window}
            if key in self._seen:
                raise AuthenticationError(
                    "this request's nonce was already used (a replay)", code="bad_signature"
                )
            self._seen[key] = now


def check_times(parsed: SignatureInput, now: float) -> None:
    """Refuse a signature created more than MAX_SKEW_SECONDS from ``now`` either way, or
    whose ``expires`` has passed (RFC 9421 section 2.3)."""
    if abs(now - parsed.created) > MAX_SKEW_SECONDS:
        age = math.floor(now) - parsed.created
        when = f"{age} s ago" if age > 0 else f"{-age} s in the future"
        raise AuthenticationError(
            f"signature created {when}; at most {MAX_SKEW_SECONDS} s either way",
            code="bad_signature",
        )
    if parsed.expires is not None and now > parsed.expires:
        raise AuthenticationError(
            f"signature expired {math.floor(now) - parsed.expires} s ago",
            code="signature_expired",
        )


async def authenticate_request(
    request: Request, store: Store, nonces: NonceCache, now: float | None = None
) -> Authenticated:
    sig_input = request.headers.get("signature-input")
    sig_header = request.headers.get("signature")
    if not sig_input or not sig_header:
        raise AuthenticationError(
            "this endpoint needs an HTTP Message Signature (RFC 9421): Signature-Input, "
            "Signature and Content-Digest headers",
            code="unauthenticated",
        )
    parsed = parse_signature_input(sig_input)
    signature = parse_signature(sig_header, parsed.label)
    now = time.time() if now is None else now
    check_times(parsed, now)
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query and QUERY not in parsed.components:
        raise AuthenticationError(
            f"the request has a query string, which the signature must cover ({QUERY})",
            code="query_not_covered",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_SIGNED_BODY:
        raise BodyTooLarge(f"the body is over the {MAX_SIGNED_BODY} byte limit")
    body = await request.body()
    if len(body) > MAX_SIGNED_BODY:
        raise BodyTooLarge(f"the body is over the {MAX_SIGNED_BODY} byte limit")
    digest = content_digest(body)
    if request.headers.get("content-digest", "").strip() != digest:
        raise AuthenticationError(
            "Content-Digest is missing or does not match the body", code="bad_signature"
        )
    member = store.member_by_key(parsed.keyid)
    if member is None:
        raise AuthenticationError(f"no member holds key {parsed.keyid}", code="unknown_member")
    if member.status != "active":
        raise AuthenticationError(f"member {member.id!r} is retired", code="retired")
    base = signature_base(
        request.method,
        signed_path(request),
        digest,
        parsed.params_text,
        components=parsed.components,
        query=query,
    )
    try:
        verify_ed25519(member.public_key, base, signature)
    except EntryRejected as exc:
        raise AuthenticationError("the signature does not verify", code="bad_signature") from exc
    nonces.use(f"{member.key_id}:{parsed.nonce}", now)
    return Authenticated(member, request_digest(base, signature), body)


def signed_path(request: Request) -> str:
    """``@path`` as the client sent it (RFC 9421 section 2.2.6: the target URI's path, so
    percent-encoded): the ASGI ``raw_path``, not the decoded ``path``, which would make every
    signature over a path with an escaped character fail to verify."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.decode("latin-1").partition("?")[0]  # some servers leave the query on
    return str(request.url.path)


def require_role(who: Authenticated, role: str) -> None:
    """Authorization of a call by role (403); what a role may see is the ledger's decision."""
    if role not in who.member.roles:
        raise PermissionDenied(
            f"member {who.member.id!r} lacks the {role!r} role this call needs",
            code="role_not_allowed",
        )


def parse_body(model: type[M], body: bytes) -> M:
    """Parse a signed request's JSON body (after authentication, never before)."""
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(body)"
        # The message never echoes the input: a body may carry a national id.
        raise InputError(f"{where}: {err['msg']}", code="bad_request") from exc
    refuse_duplicate_keys(body, key_count(parsed))  # one reading of what was signed
    return parsed
