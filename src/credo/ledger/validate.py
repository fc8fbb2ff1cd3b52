"""Stateless validation of submitted entries: envelope, size, kind, schema, signatures.

Everything here is a pure function of the submitted bytes and a key lookup, so it runs in
worker processes in parallel; what depends on the ledger's state at the entry's position
(is the signer admitted, may its roles sign this kind) is checked by the sequencer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import nacl.bindings
import nacl.exceptions
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from credo.errors import EntryRejected, InputError
from credo.ledger.dsse import (
    Envelope,
    encode_envelope,
    envelope_error,
    kind_of,
    parse_envelope,
    parse_envelope_bytes,
)
from credo.ledger.registry import Registry
from credo.ledger.strict_json import key_count, loads, refuse_duplicate_keys

MAX_ENTRY_BYTES = 16 * 1024
MAX_BATCH_ENTRIES = 10_000
MAX_BATCH_BYTES = 32 * 1024 * 1024

KeyLookup = Callable[[str], bytes | None]


class Decoded(NamedTuple):
    """A submission that passed every stateless check, ready for the sequencer.

    ``key_ids`` names every signature's key; ``unverified`` holds the signatures a worker
    could not check because it did not know the key (admitted in the same group commit),
    which the sequencer checks instead. A named tuple, not a dataclass: thousands cross from
    the validation workers each second, and rebuilding each as a frozen dataclass on the
    event loop's thread cost ~3 us per entry (`credo.ledger.pool`).
    """

    stored: bytes
    leaf_hash: bytes
    kind: str
    by: str
    at: str
    body: dict[str, Any]
    key_ids: tuple[str, ...]
    unverified: tuple[tuple[str, bytes], ...]

    def pae(self) -> bytes:
        return parse_envelope_bytes(self.stored).pae()


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> None:
    """libsodium's verification (through PyNaCl), which releases the GIL."""
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError) as exc:
        raise EntryRejected("signature does not verify", code="bad_signature") from exc


Check = tuple[bytes, bytes, bytes]
"""A signature to verify: (public key, message, signature)."""


def decode_entry(env: Envelope, kinds: Registry, lookup: KeyLookup) -> tuple[Decoded, list[Check]]:
    """Check one parsed envelope without touching ledger state; return it with the
    signatures to verify by keys ``lookup`` knows (`decode_part` verifies them in a pass of
    their own). Signatures by other keys are left for the sequencer, which knows keys
    admitted earlier in the same group commit."""
    stored = encode_envelope(env)
    if len(stored) > MAX_ENTRY_BYTES:
        raise EntryRejected(
            f"entry is {len(stored)} bytes; the limit is {MAX_ENTRY_BYTES}", code="too_large"
        )
    return decode_envelope(env, stored, kinds, lookup, new=True)


def decode_envelope(
    env: Envelope, stored: bytes, kinds: Registry, lookup: KeyLookup, *, new: bool = False
) -> tuple[Decoded, list[Check]]:
    """Decode one envelope. A ``new`` submission must also be unambiguous: no key twice in
    its payload, no signature twice (stored entries were judged when they were new)."""
    kind = kind_of(env.payload_type)
    payload = kinds.parse_payload(env.payload, kind)
    if new:
        _refuse_ambiguity(env, payload)
    message = env.pae()
    unverified = []
    checks = []
    for sig in env.signatures:
        key = lookup(sig.keyid)
        if key is None:
            unverified.append((sig.keyid, sig.sig))
        else:
            checks.append((key, message, sig.sig))
    decoded = Decoded(
        stored=stored,
        leaf_hash=hashlib.sha256(b"\x00" + stored).digest(),
        kind=kind,
        by=payload.by,
        at=payload.at,
        body=payload.body.__dict__,  # the validated fields, without a slow model_dump
        key_ids=tuple([s.keyid for s in env.signatures]),
        unverified=tuple(unverified),
    )
    return decoded, checks


def _refuse_ambiguity(env: Envelope, payload: Any) -> None:
    try:
        refuse_duplicate_keys(env.payload, key_count(payload))
    except InputError as exc:
        raise EntryRejected(f"payload: {exc.message}", code=exc.code) from exc
    keyids = [s.keyid for s in env.signatures]
    if len(set(keyids)) != len(keyids):
        raise EntryRejected(
            "the envelope lists a key's signature more than once", code="duplicate_signature"
        )


class _Batch(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]

    entries: Annotated[list[Envelope], Field(min_length=1, max_length=MAX_BATCH_ENTRIES)]


_BATCH: TypeAdapter[_Batch] = TypeAdapter(_Batch)

Parsed = Envelope | EntryRejected


def parse_batch(body: bytes) -> list[Parsed]:
    """The request body of ``POST /v1/entries``: ``{"entries": [envelope, ...]}``.

    Raises InputError when the body as a whole is malformed; otherwise one envelope, or the
    reason it is malformed, per entry.
    """
    if len(body) > MAX_BATCH_BYTES:
        raise InputError(
            f"request body is {len(body)} bytes; the limit is {MAX_BATCH_BYTES}",
            code="batch_too_large",
        )
    try:
        envelopes = _BATCH.validate_json(body)["entries"]
    except ValidationError as exc:
        return _after_batch_error(body, exc)
    # Every envelope key is required, so the body holds exactly these keys, unless repeated.
    refuse_duplicate_keys(body, 1 + sum(3 + 2 * len(e.signatures) for e in envelopes))
    entries: list[Parsed] = list(envelopes)
    return entries


def _after_batch_error(body: bytes, exc: ValidationError) -> list[Parsed]:
    """The batch did not validate as a whole: refuse a malformed body, else answer each entry
    (the bad ones with pydantic's first complaint about them, the others parsed)."""
    errors = exc.errors()
    for err in errors:
        loc = err["loc"]
        if err["type"] == "json_invalid":
            raise InputError(f"request body is not valid JSON: {err['msg']}", code="bad_json")
        if loc == ("entries",) and err["type"] == "too_long":
            count = err.get("ctx", {}).get("actual_length")
            raise InputError(
                f"{count} entries in one batch; the limit is {MAX_BATCH_ENTRIES}",
                code="batch_too_large",
            )
        if loc == ("entries",) and err["type"] == "too_short":
            raise InputError("entries is empty", code="bad_request")
        if len(loc) < 2 or loc[0] != "entries":
            raise InputError(
                'request body must be {"entries": [envelope, ...]}', code="bad_request"
            )
    bad: dict[int, list[Any]] = {}
    for err in errors:
        bad.setdefault(int(err["loc"][1]), []).append({**err, "loc": err["loc"][2:]})
    try:
        objects = loads(body)["entries"]
    except InputError:
        raise  # a key twice
    except (ValueError, KeyError, TypeError) as exc:  # pydantic-core read it; json may not
        raise InputError(f"request body is not valid JSON: {exc}", code="bad_json") from exc
    return [envelope_error(bad[i]) if i in bad else _parse_one(o) for i, o in enumerate(objects)]


def parse_each(objects: list[Any]) -> list[Parsed]:
    """Already decoded envelope objects (the in-process paths), each parsed or refused."""
    return [_parse_one(obj) for obj in objects]


def _parse_one(obj: Any) -> Parsed:
    try:
        return parse_envelope(obj)
    except EntryRejected as exc:
        return exc


def decode_part(
    entries: list[Parsed],
    part: int,
    parts: int,
    kinds: Registry,
    lookup: KeyLookup,
    *,
    verify: bool = True,
) -> list[Decoded | EntryRejected]:
    """Decode every ``parts``-th entry starting at ``part`` (one worker's share), then
    verify their signatures in a pass of their own. ``verify=False`` skips that pass, for a
    body a sibling process vouched for (`credo.services.forwarding`): it verified every
    signature by the keys it knew and forwards nothing else with its vouch. Keys are looked
    up all the same, so a key withdrawn since is refused, and a signature by a key not found
    here is left for the sequencer as ever.

    Interleaved with the Python work of decoding, each libsodium verification and the code
    around it found the caches cold for each other: decoding and verifying 1,000 entries took
    93-120 us per entry this way and 82-93 us in two passes (six alternating runs each).
    """
    staged: list[tuple[Decoded, list[Check]] | EntryRejected] = []
    for env in entries[part::parts]:
        if isinstance(env, EntryRejected):
            staged.append(env)
            continue
        try:
            staged.append(decode_entry(env, kinds, lookup))
        except EntryRejected as exc:
            staged.append(exc)
    out: list[Decoded | EntryRejected] = []
    for item in staged:
        if isinstance(item, EntryRejected):
            out.append(item)
            continue
        try:
            for key, message, sig in item[1] if verify else ():
                verify_ed25519(key, message, sig)
        except EntryRejected as exc:
            out.append(exc)
            continue
        out.append(item[0])
    return out
