"""C2SP tlog-witness ``add-checkpoint``, independent of HTTP.

`Witness.add_checkpoint` takes the request body and returns the response body (the
cosignature line), or raises a `CredoError` whose ``status`` is the one the spec asks for:

| status | error | when |
|---|---|---|
| 400 | `InputError` | malformed body or checkpoint; old size above the checkpoint's size |
| 403 | `PermissionDenied` | no signature by a key trusted for the origin, or one that fails |
| 404 | `NotFound` | the origin is not a log this witness was configured with |
| 409 | `OldSizeMismatch` | the old size is not the size of the latest cosigned checkpoint |
| 422 | `VerificationError` | a failed consistency proof or one where none belongs; the same |
|     |                     | size with another root; size 0 without the empty tree's root |

The checks run in that order, as the spec lists them. The check against the latest cosigned
checkpoint and the storing of the new one are atomic: the new note is stored by a
compare-and-swap on the size and root that were checked (`WitnessStore.swap`); a request that
loses a race is checked again against what won, so it cannot roll the log back or fork it.

A checkpoint validly signed by the log but conflicting with what the witness cosigned is kept
as evidence (`WitnessStore.add_evidence`), with the reason:

- ``same_size_other_root``: the size the witness cosigned, another root. Proof of a fork on
  its own: the log signed both. Kept whatever the old size line said (so also on a 409).
- ``nonempty_root_at_size_0``: a signed checkpoint of size 0 whose root is not the empty
  tree's; no tree has it.
- ``consistency_proof_failed``: the proof from what the witness cosigned does not verify. On
  its own not proof of a fork (the client may have sent a wrong proof); a monitor can check
  the checkpoint against the log's tiles. The first ``MAX_UNPROVEN_EVIDENCE`` per log are kept.

Each note is kept once per reason, however often it is shown.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from credo.errors import (
    Conflict,
    InputError,
    NotFound,
    OldSizeMismatch,
    PermissionDenied,
    StoreError,
    VerificationError,
)
from credo.tlog.checkpoint import Checkpoint
from credo.tlog.cosignature import CosignatureSigner
from credo.tlog.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from credo.tlog.note import NoteVerifier, open_note, parse_note
from credo.witness.store import Cosigned, WitnessStore

MAX_PROOF_LINES = 63
MAX_BODY = 128 * 1024  # a checkpoint with 16 post-quantum signatures fits comfortably
_OLD = re.compile(rb"old (0|[1-9][0-9]{0,19})\n")
_MAX_SIZE = 2**64 - 1
_SWAP_ATTEMPTS = 1000
MAX_UNPROVEN_EVIDENCE = 1000  # consistency_proof_failed rows kept per log


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint body: the old size, the proof, and the checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: bytes


def parse_request(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body strictly (C2SP tlog-witness); ``InputError`` if malformed.

    An ``old N`` line (canonical decimal), up to 63 lines of one base64 hash each, an empty
    line, then the checkpoint note. Every line ends in a newline.
    """
    if len(body) > MAX_BODY:
        raise InputError(
            f"body is {len(body)} bytes, the limit is {MAX_BODY}", code="body_too_large"
        )
    match = _OLD.match(body)
    if match is None:
        raise InputError(
            "the body must start with an old size line: 'old', a space, a decimal without "
            "leading zeroes, a newline",
            code="bad_old_size",
        )
    old_size = int(match.group(1))
    if old_size > _MAX_SIZE:
        raise InputError(f"old size {old_size} is above 2**64-1", code="bad_old_size")
    pos = match.end()
    proof: list[bytes] = []
    while True:
        end = body.find(b"\n", pos)
        if end < 0:
            raise InputError("no empty line before the checkpoint", code="bad_request_body")
        line = body[pos:end]
        pos = end + 1
        if not line:
            break
        if len(proof) == MAX_PROOF_LINES:
            raise InputError(
                f"more than {MAX_PROOF_LINES} consistency proof lines", code="bad_proof_line"
            )
        proof.append(_hash_line(line, len(proof) + 1))
    return AddCheckpoint(old_size, tuple(proof), body[pos:])


def _hash_line(line: bytes, number: int) -> bytes:
    try:
        raw = binascii.a2b_base64(line, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"proof line {number} is not base64", code="bad_proof_line") from exc
    if len(raw) != HASH_SIZE or binascii.b2a_base64(raw, newline=False) != line:
        raise InputError(
            f"proof line {number} is not one canonical base64 SHA-256 hash", code="bad_proof_line"
        )
    return raw


def origin_hash(origin: str) -> str:
    """The lowercase hex SHA-256 of an origin: its path segment for monitors (tlog-witness)."""
    return hashlib.sha256(origin.encode()).hexdigest()


class Witness:
    """A tlog-witness: a cosigner key, the logs it follows (origin -> their keys), its store."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Mapping[str, Sequence[NoteVerifier]],
        store: WitnessStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not logs:
            raise InputError("a witness needs at least one log (ORIGIN=VKEY)")
        for origin, verifiers in logs.items():
            Checkpoint(origin, 0, EMPTY_ROOT)  # a valid origin line
            if not verifiers:
                raise InputError(f"log {origin!r} has no key")
        self.signer = signer
        self.logs = {origin: list(verifiers) for origin, verifiers in logs.items()}
        self._by_hash = {origin_hash(origin): origin for origin in self.logs}
        self.store = store
        self._clock = clock

    def _now(self) -> int:
        return max(int(self._clock()), 1)  # a v1 cosignature's timestamp is never zero

    def add_checkpoint(self, body: bytes) -> bytes:
        """Check, cosign and store a checkpoint; the response body, or a `CredoError` (see the
        module doc for which, in which order)."""
        req = parse_request(body)
        cp = Checkpoint.from_text(parse_note(req.note).text)
        verifiers = self.logs.get(cp.origin)
        if verifiers is None:
            raise NotFound(f"unknown log origin {cp.origin!r}", code="unknown_origin")
        try:
            signed = open_note(req.note, verifiers)
        except VerificationError as exc:
            raise PermissionDenied(exc.message, code="untrusted_checkpoint") from exc
        if req.old_size > cp.size:
            raise InputError(
                f"old size {req.old_size} is above the checkpoint's size {cp.size}",
                code="old_size_too_large",
            )
        for _ in range(_SWAP_ATTEMPTS):
            latest = self.store.latest(cp.origin)
            self._check(req, cp, latest, body)
            # Never earlier than the last cosignature for this log: a clock stepping back
            # must not date a larger tree before a statement about a smaller one.
            stamp = max(self._now(), 0 if latest is None else latest.updated)
            cosig = self.signer.cosign(signed.text, stamp)
            lines = [s.line() for s in signed.signatures] + [cosig.line()]
            note = (signed.text + "\n" + "".join(lines)).encode()
            new = Cosigned(cp.origin, cp.size, cp.root_hash, note, cosig.timestamp)
            if self.store.swap(latest, new):
                return cosig.line().encode()
            # Another request changed the latest checkpoint after it was read: check again
            # against the new one (usually a 409 now). The cosignature made for the stale
            # state is dropped unseen.
        raise StoreError("the latest checkpoint kept changing; try again", code="busy")

    def _check(
        self, req: AddCheckpoint, cp: Checkpoint, latest: Cosigned | None, body: bytes
    ) -> None:
        """The spec's consistency checks against the latest cosigned checkpoint."""
        latest_size = 0 if latest is None else latest.size
        if latest is not None and cp.size == latest.size and cp.root_hash != latest.root:
            self._evidence("same_size_other_root", cp, req, body, latest)
            if req.old_size == latest_size:
                raise VerificationError(
                    f"size {cp.size} was cosigned with another root", code="root_mismatch"
                )
        if req.old_size != latest_size:
            raise OldSizeMismatch(
                f"old size {req.old_size} is not the latest cosigned size {latest_size}",
                size=latest_size,
            )
        if cp.size == 0 and cp.root_hash != EMPTY_ROOT:
            self._evidence("nonempty_root_at_size_0", cp, req, body, latest)
            raise VerificationError(
                "a checkpoint of size 0 must have the empty tree's root", code="bad_empty_root"
            )
        if req.old_size == 0:
            if req.proof:
                raise VerificationError(
                    "the old size is 0, so the consistency proof must be empty",
                    code="unexpected_proof",
                )
            return
        if latest is None:  # old size == latest size > 0 was checked above
            raise Conflict("no cosigned checkpoint to extend", code="old_size_mismatch")
        try:
            verify_consistency(req.old_size, cp.size, req.proof, latest.root, cp.root_hash)
        except VerificationError as exc:
            if cp.size != latest.size:  # same size: a plain root mismatch was handled above
                self._evidence("consistency_proof_failed", cp, req, body, latest)
            raise VerificationError(
                f"consistency proof {req.old_size} -> {cp.size}: {exc.message}",
                code="bad_consistency_proof",
            ) from exc

    def _evidence(
        self, reason: str, cp: Checkpoint, req: AddCheckpoint, body: bytes, latest: Cosigned | None
    ) -> None:
        # A failed proof is not proof of a fork, and anyone can pair each of the log's real
        # checkpoints with a wrong proof: those are capped. The other reasons need the log to
        # have signed a fork, so there are never more than it signed.
        cap = MAX_UNPROVEN_EVIDENCE if reason == "consistency_proof_failed" else None
        self.store.add_evidence(
            cp.origin,
            reason,
            self._now(),
            req.note,
            body,
            None if latest is None else latest.note,
            cap=cap,
        )

    def origin_for(self, digest: str) -> str | None:
        """The origin of the followed log whose origin hashes to ``digest``, if any."""
        return self._by_hash.get(digest)

    def checkpoint_for(self, digest: str) -> bytes:
        """The latest cosigned note for the log whose origin hashes to ``digest``."""
        origin = self._by_hash.get(digest)
        latest = None if origin is None else self.store.latest(origin)
        if latest is None:
            raise NotFound(
                "this witness has cosigned no checkpoint for that log", code="no_checkpoint"
            )
        return latest.note
