"""C2SP signed-note, checked against the vectors of golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import InputError, VerificationError
from credo.tlog.note import (
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    generate_signer,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

# golang.org/x/mod/sumdb/note note_test.go and example_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLo"
    "x33WWd1RvMc+QQ=\n"
)
PETER_NOTE = (TEXT + "\n" + PETER_SIG).encode()


def peter_signer() -> NoteSigner:
    """Go's private key string is PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)."""
    raw = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert raw[0] == 1
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(raw[1:]))


def test_signer_matches_go_keys_and_signature() -> None:
    signer = peter_signer()
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.verifier_key() == PETER_VKEY
    assert key_id("PeterNeumann", signer.public_key) == signer.key_id
    assert sign_note(TEXT, [signer]) == PETER_NOTE


def test_verifier_from_vkey() -> None:
    v = NoteVerifier.from_vkey(PETER_VKEY)
    assert (v.name, v.key_id) == ("PeterNeumann", bytes.fromhex("c74f20a3"))
    assert v.public_key == peter_signer().public_key
    assert v.verifier_key() == PETER_VKEY
    sig = peter_signer().sign(b"hi")
    v.verify(b"hi", sig)
    with pytest.raises(VerificationError):
        v.verify(b"hj", sig)
    with pytest.raises(VerificationError):
        v.verify(b"hi", bytes([sig[0] ^ 1]) + sig[1:])


def test_mangled_vkeys_are_rejected() -> None:
    """Every proper substring and every single-byte increment fails, as in Go's test."""
    bad = {
        PETER_VKEY[i:j] for i in range(len(PETER_VKEY)) for j in range(i + 1, len(PETER_VKEY) + 1)
    }
    bad.discard(PETER_VKEY)
    bad |= {
        PETER_VKEY[:i] + chr(ord(c) + 1) + PETER_VKEY[i + 1 :] for i, c in enumerate(PETER_VKEY)
    }
    bad |= {
        # Wrong key length and unknown algorithm, each with a matching key hash (Go's vectors).
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "",
    }
    for vkey in bad:
        with pytest.raises(InputError):
            NoteVerifier.from_vkey(vkey)


def test_open_go_note() -> None:
    note = open_note(PETER_NOTE, [NoteVerifier.from_vkey(PETER_VKEY)])
    assert note.text == TEXT
    assert [(s.name, s.key_id.hex()) for s in note.signatures] == [("PeterNeumann", "c74f20a3")]


def test_open_multi_signature_note() -> None:
    msg = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    peter, enoch = NoteVerifier.from_vkey(PETER_VKEY), NoteVerifier.from_vkey(ENOCH_VKEY)
    assert [s.name for s in open_note(msg, [peter]).signatures] == ["PeterNeumann"]
    assert [s.name for s in open_note(msg, [enoch]).signatures] == ["EnochRoot"]
    assert [s.name for s in open_note(msg, [enoch, peter]).signatures] == [
        "PeterNeumann",
        "EnochRoot",
    ]
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(msg, [])
    parsed = parse_note(msg)
    assert [s.name for s in parsed.signatures] == ["PeterNeumann", "EnochRoot"]


def test_duplicate_signatures_collapse() -> None:
    msg = (TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG).encode()
    note = open_note(msg, [NoteVerifier.from_vkey(PETER_VKEY)])
    assert len(note.signatures) == 1


def test_tampered_note_and_wrong_key_fail() -> None:
    peter = NoteVerifier.from_vkey(PETER_VKEY)
    tampered = PETER_NOTE.replace(b"cryptography", b"cryptographY")
    with pytest.raises(VerificationError, match="PeterNeumann"):
        open_note(tampered, [peter])
    corrupt = (TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).encode()
    with pytest.raises(VerificationError):
        open_note(corrupt, [peter])
    impostor = generate_signer("PeterNeumann")
    with pytest.raises(VerificationError):
        open_note(sign_note(TEXT, [impostor]), [peter])  # same name, other key ID: unknown
    with pytest.raises(VerificationError):
        open_note(PETER_NOTE, [impostor.verifier()])


def test_invalid_known_signature_fails_even_with_a_valid_one() -> None:
    peter = NoteVerifier.from_vkey(PETER_VKEY)
    corrupt = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(VerificationError):
        open_note((TEXT + "\n" + PETER_SIG + corrupt).encode(), [peter])


@pytest.mark.parametrize(
    "msg",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
        "qfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # too short to hold a key ID and signature
        TEXT + "\n" + "— PeterNeumann x08go/!!\n",
        TEXT + "\n" + "- PeterNeumann x08go/ZJku\n",
        TEXT + "\n" + "— a+b x08go/ZJkuBS9UG/SffcvIAQ==\n",
    ],
)
def test_malformed_notes_are_rejected(msg: str) -> None:
    with pytest.raises(InputError):
        parse_note(msg.encode())
    with pytest.raises(InputError):
        open_note(msg.encode(), [NoteVerifier.from_vkey(PETER_VKEY)])


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(InputError):
        parse_note(b"\xff" + PETER_NOTE)


def test_sign_note_checks_text_and_names() -> None:
    signer = generate_signer("credo.example/log")
    for text in ("", "no newline", "tab\there\n"):
        with pytest.raises(InputError):
            sign_note(text, [signer])
    with pytest.raises(InputError):
        sign_note("x\n", [])
    for name in ("", "a+b", "a b", "a\nb", "a\u2003b"):
        with pytest.raises(InputError):
            generate_signer(name)


def test_round_trip_and_cosign() -> None:
    log, w1, w2 = (generate_signer(n) for n in ("log.example", "w1.example", "w2.example"))
    text = "log.example\n1\nAAAA\n\nwith a blank line inside\n"
    signed = sign_note(text, [log])
    cosigned = add_signatures(signed, [w1, w2])
    assert cosigned.startswith(signed)
    note = open_note(cosigned, [log.verifier(), w1.verifier(), w2.verifier()])
    assert note.text == text
    assert [s.name for s in note.signatures] == ["log.example", "w1.example", "w2.example"]
    # Re-signing with a key already present replaces that line rather than duplicating it.
    again = add_signatures(cosigned, [w1])
    assert [s.name for s in parse_note(again).signatures] == [
        "log.example",
        "w2.example",
        "w1.example",
    ]
    assert isinstance(parse_note(again).signatures[0], NoteSignature)


def test_add_signatures_keeps_go_signatures_byte_for_byte() -> None:
    enoch_like = generate_signer("EnochRoot")
    cosigned = add_signatures(PETER_NOTE, [enoch_like])
    assert cosigned.startswith(PETER_NOTE)
    open_note(cosigned, [NoteVerifier.from_vkey(PETER_VKEY), enoch_like.verifier()])


def test_repeated_verifiers_are_harmless() -> None:
    a = generate_signer("same")
    other_key = NoteVerifier("same", generate_signer("same").public_key)
    note = open_note(sign_note("x\n", [a]), [a.verifier(), a.verifier(), other_key])
    assert len(note.signatures) == 1
