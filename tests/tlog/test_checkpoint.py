"""C2SP tlog-checkpoint bodies and their signed-note wrapping."""

from __future__ import annotations

import base64

import pytest

from credo.errors import InputError, VerificationError
from credo.tlog.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from credo.tlog.merkle import EMPTY_ROOT
from credo.tlog.note import add_signatures, generate_signer, parse_note

ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()
URLSAFE64 = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()


def test_to_text_and_back() -> None:
    cp = Checkpoint("credo.example/log", 1234, ROOT)
    assert cp.to_text() == f"credo.example/log\n1234\n{ROOT64}\n"
    assert Checkpoint.from_text(cp.to_text()) == cp
    ext = Checkpoint("o", 0, EMPTY_ROOT, ("ext one", "ext two"))
    assert ext.to_text().endswith("\next one\next two\n")
    assert Checkpoint.from_text(ext.to_text()) == ext


@pytest.mark.parametrize(
    "text",
    [
        "",
        "o\n1\n",
        f"o\n1\n{ROOT64}",  # no final newline
        f"\n1\n{ROOT64}\n",  # empty origin
        f"o\n01\n{ROOT64}\n",  # leading zero
        f"o\n+1\n{ROOT64}\n",
        f"o\n-1\n{ROOT64}\n",
        f"o\n1.0\n{ROOT64}\n",
        f"o\n 1\n{ROOT64}\n",
        f"o\n١\n{ROOT64}\n",  # a non-ASCII digit
        f"o\n{2**64}\n{ROOT64}\n",
        "o\n1\nAAAA\n",  # short root
        f"o\n1\n{ROOT64[:-1]}\n",
        f"o\n1\n{ROOT64.rstrip('=')}\n",
        f"o\n1\n{URLSAFE64}\n",  # base64url is not base64
        f"o\n1\n{ROOT64}\n\n",  # empty extension line
        f"o\t\n1\n{ROOT64}\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(InputError):
        Checkpoint.from_text(text)


def test_constructor_validates() -> None:
    for args in [("", 1, ROOT), ("o", -1, ROOT), ("o", 1, b"x"), ("a\nb", 1, ROOT)]:
        with pytest.raises(InputError):
            Checkpoint(*args)
    with pytest.raises(InputError):
        Checkpoint("o", 1, ROOT, ("",))


def test_sign_and_open() -> None:
    log = generate_signer("credo.example/log")
    cp = Checkpoint("credo.example/log", 7, ROOT)
    note = sign_checkpoint(cp, [log])
    assert parse_note(note).text == cp.to_text()
    assert open_checkpoint(note, log.verifier()) == cp
    assert open_checkpoint(note, log.verifier(), origin="credo.example/log") == cp
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(note, log.verifier(), origin="other.example/log")


def test_open_ignores_witness_cosignatures_and_needs_the_log() -> None:
    log, witness = generate_signer("credo.example/log"), generate_signer("w.example")
    cp = Checkpoint("credo.example/log", 7, ROOT)
    cosigned = add_signatures(sign_checkpoint(cp, [log]), [witness])
    assert open_checkpoint(cosigned, log.verifier()) == cp
    with pytest.raises(VerificationError):
        open_checkpoint(sign_checkpoint(cp, [witness]), log.verifier())
    tampered = cosigned.replace(b"\n7\n", b"\n8\n")
    with pytest.raises(VerificationError):
        open_checkpoint(tampered, log.verifier())
