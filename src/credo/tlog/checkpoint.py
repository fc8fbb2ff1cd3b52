"""C2SP tlog-checkpoint: the origin, size and root hash a log commits to, as a signed note.

``Checkpoint`` is the parsed body; ``sign_checkpoint`` / ``open_checkpoint`` wrap it in a
C2SP signed-note and check the log's signature.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from credo.errors import InputError, VerificationError
from credo.tlog.merkle import HASH_SIZE
from credo.tlog.note import NoteSigner, NoteVerifier, open_note, sign_note

MAX_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


def _check_line(what: str, line: str) -> None:
    if not line or "\n" in line or any(c < " " for c in line):
        raise InputError(f"checkpoint {what} must be a non-empty line, got {line!r}")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint body (C2SP tlog-checkpoint): validated on construction."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if not 0 <= self.size <= MAX_SIZE:
            raise InputError(f"checkpoint size {self.size} is outside 0..2**64-1")
        if len(self.root_hash) != HASH_SIZE:
            raise InputError(f"checkpoint root is {len(self.root_hash)} bytes, expected 32")
        for line in self.extensions:
            _check_line("extension line", line)

    def to_text(self) -> str:
        """The note text: origin, decimal size, base64 root, then any extension lines."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly; ``InputError`` on anything non-canonical."""
        if not text.endswith("\n"):
            raise InputError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InputError(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size, root, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise InputError(f"checkpoint size {size!r} is not a canonical decimal")
        return cls(origin, int(size), _decode_root(root), tuple(extensions))


def _decode_root(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"checkpoint root {text!r} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise InputError(f"checkpoint root {text!r} is not canonical base64")
    return raw


def sign_checkpoint(cp: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """The checkpoint as a signed note (C2SP tlog-checkpoint, C2SP signed-note)."""
    return sign_note(cp.to_text(), signers)


def open_checkpoint(
    note_bytes: bytes, verifier: NoteVerifier, origin: str | None = None
) -> Checkpoint:
    """Verify the log's signature on a checkpoint note and parse it.

    Other signatures (witness cosignatures) are ignored here. If ``origin`` is given the
    checkpoint must name it, else ``VerificationError``.
    """
    note = open_note(note_bytes, [verifier])
    cp = Checkpoint.from_text(note.text)
    if origin is not None and cp.origin != origin:
        raise VerificationError(f"checkpoint origin: expected {origin!r}, got {cp.origin!r}")
    return cp
