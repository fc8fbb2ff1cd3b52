"""C2SP tlog-cosignature v1 (Ed25519): key IDs, the signed message, parsing and verifying.

Known answers come from outside this repository, each cited where it is used: the spec's own
example, transparency-dev/formats' tests, and a checkpoint of a live Sigsum log with real
witness cosignatures."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import InputError, VerificationError
from credo.tlog.checkpoint import Checkpoint, sign_checkpoint
from credo.tlog.cosignature import (
    Cosignature,
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_key_id,
    cosigned_message,
    open_cosigned_checkpoint,
    verify_cosignatures,
)
from credo.tlog.note import NoteSignature, NoteVerifier, generate_signer, parse_note

# A Sigsum log's checkpoint (size 12851) and the cosignatures of two production witnesses,
# from florolf/sigmon's tests/test_sigsum.py (TREE_HEAD; the witness keys are in its
# test_group_quorum). Sigsum checkpoints are C2SP checkpoints whose origin is
# "sigsum.org/v1/tree/" + hex(SHA-256(log key)), and its witnesses sign cosignature/v1.
SIGSUM_LOG_KEY = bytes.fromhex("0ec7e16843119b120377a73913ac6acbc2d03d82432e2c36b841b09a95841f25")
SIGSUM_ROOT = bytes.fromhex("4ccedda0c3e6afc83cfcddfad7df3d95cbd1e857ecf3cf0569b8f69ce32727f8")
SIGSUM_TEXT = Checkpoint(
    "sigsum.org/v1/tree/" + hashlib.sha256(SIGSUM_LOG_KEY).hexdigest(), 12851, SIGSUM_ROOT
).to_text()
SIGSUM_WITNESSES = [
    (  # witness.glasklar.is
        "b2106db9065ec97f25e09c18839216751a6e26d8ed8b41e485a563d3d1498536",
        1754020861,
        "9ab58c0f6cbfd02549891b3b9d7e68fd7fefd42b6dc22fbbee7ed3119d1ed180"
        "7edc74c8b12fd430e4ee6084b59077d4c8eafe09eefdbbe31666828c34d24702",
    ),
    (  # witness.mullvad.net
        "15d6d0141543247b74bab3c1076372d9c894f619c376d64b29aa312cc00f61ad",
        1754020861,
        "82f16ff572ba54e6f0b2f27e0e34fa729ab42d566b1d54a0b689d345c373fd0d"
        "87a61a6b6e81b4d17b3ca9f13f01a6c1325d701e6350ecddfa54b6b453691d0f",
    ),
]


def sigsum_cosignature(name: str, key: bytes, timestamp: int, sig: bytes) -> NoteSignature:
    return NoteSignature(name, cosignature_key_id(name, key), timestamp.to_bytes(8, "big") + sig)


@pytest.mark.parametrize(("key", "timestamp", "sig"), SIGSUM_WITNESSES)
def test_real_witness_cosignatures_verify(key: str, timestamp: int, sig: str) -> None:
    raw = bytes.fromhex(key)
    verifier = CosignatureVerifier("witness.example", raw)
    line = sigsum_cosignature("witness.example", raw, timestamp, bytes.fromhex(sig))
    note = parse_note((SIGSUM_TEXT + "\n" + line.line()).encode())
    [cosig] = verify_cosignatures(note, [verifier])
    assert (cosig.timestamp, cosig.signature.hex()) == (timestamp, sig)
    # Anything else signed fails: another size, another time.
    other = SIGSUM_TEXT.replace("\n12851\n", "\n12852\n")
    with pytest.raises(VerificationError):
        verifier.verify(other, cosig)
    with pytest.raises(VerificationError):
        verifier.verify(
            SIGSUM_TEXT, Cosignature(cosig.name, cosig.key_id, timestamp + 1, cosig.signature)
        )


def test_key_id_and_vkey_known_answer() -> None:
    # transparency-dev/formats note/note_cosigv1_test.go, TestCoSigV1NewVerifier: a native
    # 0x04 (cosignature/v1) verifier key.
    vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    v = CosignatureVerifier.from_vkey(vkey)
    assert (v.name, v.key_id.hex()) == ("remora.n621.de", "da77ade7")
    assert v.verifier_key() == vkey
    assert cosignature_key_id(v.name, v.public_key) == bytes.fromhex("da77ade7")


def test_timestamp_known_answers() -> None:
    # transparency-dev/formats note/note_cosigv1_test.go, TestCoSigV1Timestamp ("works").
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
        "EBYJXORmnFBOBA=="
    )
    cosig = Cosignature.from_note_signature(NoteSignature("w", raw[:4], raw[4:]))
    assert cosig.timestamp == 1727964367
    # C2SP tlog-cosignature's example line, whose message example says "time 1679315147".
    raw = base64.b64decode(
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+"
        "mbIUBkBIfZ+qnA=="
    )
    assert Cosignature.from_note_signature(NoteSignature("w", raw[:4], raw[4:])).timestamp == (
        1679315147
    )
    # ... and a plain Ed25519 note signature (68 bytes) is not a cosignature (the same test's
    # "wrong type of signature").
    raw = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xk"
        "NQY="
    )
    with pytest.raises(InputError, match="expected 72"):
        Cosignature.from_note_signature(NoteSignature("w", raw[:4], raw[4:]))


def test_message_is_the_spec_example() -> None:
    # C2SP tlog-cosignature, "Ed25519 signed message".
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosigned_message(text, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    with pytest.raises(InputError):
        cosigned_message(text, 2**63)


def signer(name: str = "witness.test/w1", seed: int = 1) -> CosignatureSigner:
    return CosignatureSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def test_sign_verify_round_trip_and_vkey() -> None:
    s = signer()
    v = CosignatureVerifier.from_vkey(s.verifier_key())
    assert (v.name, v.key_id, v.public_key) == (s.name, s.key_id, s.public_key)
    assert s.key_id != NoteVerifier(s.name, s.public_key).key_id  # 0x04, not 0x01
    cosig = s.cosign(SIGSUM_TEXT, 1700000000)
    v.verify(SIGSUM_TEXT, cosig)
    line = cosig.line()
    assert line.startswith("— witness.test/w1 ")
    assert line.endswith("\n")
    [parsed] = parse_note((SIGSUM_TEXT + "\n" + line).encode()).signatures
    assert Cosignature.from_note_signature(parsed) == cosig


def test_extension_lines_are_covered() -> None:
    text = Checkpoint("log.test/x", 3, b"\x07" * 32, ("ext one",)).to_text()
    cosig = signer().cosign(text, 5)
    signer().verifier().verify(text, cosig)
    with pytest.raises(VerificationError):
        signer().verifier().verify(text.replace("ext one", "ext two"), cosig)


def test_only_checkpoints_are_cosigned() -> None:
    with pytest.raises(InputError):
        signer().cosign("not a checkpoint\n", 5)


def test_verify_cosignatures_follows_signed_note_rules() -> None:
    log = generate_signer("log.test/x")
    text = Checkpoint("log.test/x", 3, b"\x07" * 32).to_text()
    w1, w2, w3 = signer("w1", 1), signer("w2", 2), signer("w3", 3)
    lines = [w1.cosign(text, 10).line(), w2.cosign(text, 11).line()]
    note = sign_checkpoint(Checkpoint.from_text(text), [log]) + "".join(lines).encode()
    parsed = parse_note(note)
    # Unknown keys (the log's own signature, w2 when not asked for) are ignored.
    assert [c.name for c in verify_cosignatures(parsed, [w1.verifier()])] == ["w1"]
    assert verify_cosignatures(parsed, [w3.verifier()]) == []
    # A known key whose signature fails rejects the whole note.
    impostor = CosignatureVerifier("w2", w3.public_key)  # same name, other key: other ID
    assert verify_cosignatures(parsed, [impostor]) == []
    forged = NoteSignature("w1", w1.key_id, (10).to_bytes(8, "big") + b"\x00" * 64).line()
    bad = parse_note(note + forged.encode())
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignatures(bad, [w1.verifier()])
    # A known key's line of the wrong length is an error, not ignored.
    short = NoteSignature("w1", w1.key_id, b"\x00" * 64).line()
    with pytest.raises(VerificationError, match="expected 72"):
        verify_cosignatures(parse_note(note + short.encode()), [w1.verifier()])
    # Timestamps from the future may be refused.
    with pytest.raises(VerificationError, match="after 10"):
        verify_cosignatures(parsed, [w2.verifier()], not_after=10)


def test_open_cosigned_checkpoint() -> None:
    log = generate_signer("log.test/x")
    cp = Checkpoint("log.test/x", 3, b"\x07" * 32)
    w1 = signer("w1", 1)
    note = sign_checkpoint(cp, [log]) + w1.cosign(cp.to_text(), 10).line().encode()
    got, cosigs = open_cosigned_checkpoint(note, [log.verifier()], [w1.verifier()])
    assert got == cp
    assert [c.name for c in cosigs] == ["w1"]
    with pytest.raises(VerificationError):
        open_cosigned_checkpoint(note, [generate_signer("log.test/x").verifier()], [])
    other = generate_signer("log.test/other-name")
    wrong_origin = sign_checkpoint(cp, [other])
    with pytest.raises(VerificationError, match="not its log key's name"):
        open_cosigned_checkpoint(wrong_origin, [other.verifier()], [])


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        ("remora.n621.de+da77ade7", "no signature type"),
        ("remora.n621.de+da77ade7+BOvN63jn!", "base64"),
        ("remora.n621.de+DA77ADE7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "hex"),
        ("remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "does not match"),
        # The same key as an ordinary (0x01) note key is not a cosignature key.
        ("remora.n621.de+da77ade7+AevN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "0x04"),
        ("w+5893dc2c+BtMcFiao6ZOdU6LZ40tLKbsWpDOU8smRapXBIYI3lXyE", "ML-DSA-44"),
        ("+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "key name"),
    ],
)
def test_bad_vkeys(vkey: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        CosignatureVerifier.from_vkey(vkey)
