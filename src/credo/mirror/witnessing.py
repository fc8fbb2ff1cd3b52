"""A member's mirror witnessing what it mirrors (``credo mirror --witness-data WDIR``).

Of the two ways the issue offers, the mirror takes the simpler: it cosigns each checkpoint it
has verified and serves that cosignature line on its ``/log/checkpoint`` beside the log's own
lines. It does so through the member's own witness, not a second implementation of one: a
C2SP tlog-witness ``add-checkpoint`` request made in-process to `credo.witness.service.Witness`
with the key and the state in WDIR (`credo.witness.identity`, ``WDIR/witness.db``), the
consistency proof from the witness's latest cosigned checkpoint computed from the mirror's
verified tiles. So the line is a real C2SP tlog-cosignature v1 (Ed25519, timestamped), any
tlog-policy naming that witness counts it, and the witness's rule holds across everything
that key ever signs: a ``credo witness`` on the same WDIR and this mirror share one
compare-and-swap on the latest cosigned checkpoint, and neither can cosign a tree that does
not extend what the other cosigned.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from pathlib import Path

from credo.errors import OldSizeMismatch, PermissionDenied, StoreError, VerificationError
from credo.tlog import Checkpoint, HashReader, NoteVerifier, consistency_proof, parse_note
from credo.tlog.cosignature import CosignatureSigner
from credo.tlog.note import MAX_SIGNATURES
from credo.witness.identity import DB_FILE, load_or_create
from credo.witness.service import Witness
from credo.witness.store import WitnessStore

log = logging.getLogger(__name__)
_ATTEMPTS = 5


def add_checkpoint_body(old: int, proof: list[bytes], note: bytes) -> bytes:
    """A C2SP tlog-witness add-checkpoint request body."""
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n".encode() + note


class MirrorWitness:
    """The member's witness key and state in ``data``, cosigning for one log."""

    def __init__(
        self,
        data: Path,
        log_verifier: NoteVerifier,
        name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer: CosignatureSigner
        self.signer, self.created = load_or_create(data, name)
        self.data = data
        self.origin = log_verifier.name
        self.store = WitnessStore(data / DB_FILE)
        self.service = Witness(self.signer, {self.origin: [log_verifier]}, self.store, clock=clock)

    def open(self) -> MirrorWitness:
        """Open the witness's state (DIR/witness.db)."""
        self.store.open()
        return self

    def close(self) -> None:
        self.store.close()

    def cosign(self, note: bytes, cp: Checkpoint, tree: HashReader) -> bytes | None:
        """The cosignature line for ``note`` (verified by the caller, whose tree ``tree``
        holds it), or None when this witness already cosigned a larger tree of the log."""
        latest = self.store.latest(self.origin)
        old = 0 if latest is None else latest.size
        for _ in range(_ATTEMPTS):
            if old > cp.size:
                log.info("witness cosigned size %d already; size %d is not cosigned", old, cp.size)
                return None
            body = add_checkpoint_body(old, consistency_proof(old, cp.size, tree), note)
            try:
                return self.service.add_checkpoint(body)
            except OldSizeMismatch as exc:
                old = exc.size  # another process cosigned meanwhile: from its size
            except (VerificationError, PermissionDenied) as exc:
                raise VerificationError(
                    f"the mirror's witness refuses the checkpoint of size {cp.size} it "
                    f"verified: {exc.message} (its evidence is in {self.data / DB_FILE})",
                    code="witness_refused",
                ) from exc
        raise StoreError("the witness's latest checkpoint kept changing", code="busy")

    def cosigned(self, note: bytes, cp: Checkpoint, tree: HashReader) -> bytes:
        """``note`` with this witness's cosignature line, replacing any earlier line by the
        same key (the log may have asked this member's witness too); ``note`` unchanged if
        it is not cosigned (see `cosign`) or already has the most signatures a note may."""
        line = self.cosign(note, cp, tree)
        parsed = parse_note(note)
        others = [
            s.line()
            for s in parsed.signatures
            if (s.name, s.key_id) != (self.signer.name, self.signer.key_id)
        ]
        if line is None or len(others) >= MAX_SIGNATURES:
            return note
        return (parsed.text + "\n" + "".join(others) + line.decode()).encode()
