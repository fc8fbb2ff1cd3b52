"""The witness over HTTP: C2SP tlog-witness's status matrix for add-checkpoint, as one table,
then the monitor endpoints.

Each row starts from a witness that has cosigned nothing (``None``) or the log's checkpoint of
size 5, sends one body, and checks the status, the body the spec asks for (cosignature lines
for 200; the latest size and a newline as exactly ``text/x.tlog.size`` for 409; a problem
naming the failed check otherwise) and that a refused request changed nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.tlog.checkpoint import Checkpoint, sign_checkpoint
from credo.tlog.cosignature import Cosignature
from credo.tlog.note import NoteSignature, NoteSigner, parse_note
from credo.witness.app import create_witness_app
from credo.witness.service import MAX_BODY, Witness
from tests.witness.conftest import (
    LOG_SIGNER,
    NOW,
    ORIGIN,
    WITNESS_SIGNER,
    FakeLog,
    fixed_key,
    make_witness,
    request_body,
)

LOG = FakeLog(40)
FORK = FakeLog(40, tag="b", fork_at=3)  # same key, same first 3 leaves, then another history
STRANGER = NoteSigner(ORIGIN, fixed_key(66))  # the log's name, another key
OTHER_LOG = NoteSigner("log.test/unknown", fixed_key(67))
H = b"\x11" * 32


def cp_note(size: int, root: bytes, signers: list[NoteSigner]) -> bytes:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), signers)


def forged_signature_note() -> bytes:
    """A checkpoint whose signature line has the trusted name and key ID but a bad signature."""
    text = Checkpoint(ORIGIN, 8, LOG.root(8)).to_text()
    sig = NoteSignature(ORIGIN, LOG_SIGNER.key_id, b"\x00" * 64)
    return (text + "\n" + sig.line()).encode()


def with_unknown_signature() -> bytes:
    """The log's signature plus one by a key the witness does not know: that one is ignored."""
    return (
        LOG.checkpoint(8)
        + NoteSignature("someone.test/else", b"abcd", b"\x01" * 64).line().encode()
    )


@dataclass(frozen=True)
class Row:
    name: str
    start: int | None  # the size the witness has cosigned before the request (None: nothing)
    body: Callable[[], bytes]
    status: int
    code: str = ""  # the problem's code, for 4xx other than 409
    size: int | None = None  # the 409 body's size


OK = 200
ROWS = [
    # 200: cosigned.
    Row("first checkpoint, old 0", None, lambda: LOG.body(0, 5), OK),
    Row("empty tree, old 0", None, lambda: LOG.body(0, 0), OK),
    Row("extends the latest, with its proof", 5, lambda: LOG.body(5, 8), OK),
    Row("same size, same root", 5, lambda: LOG.body(5, 5), OK),
    Row(
        "unknown signatures are ignored",
        5,
        lambda: request_body(5, LOG.proof(5, 8), with_unknown_signature()),
        OK,
    ),
    # 400: malformed, or old size above the checkpoint's.
    Row(
        "old size above the checkpoint's",
        5,
        lambda: LOG.body(9, 8, proof=[]),
        400,
        "old_size_too_large",
    ),
    Row("empty body", 5, lambda: b"", 400, "bad_old_size"),
    Row("no old line", 5, lambda: LOG.checkpoint(8), 400, "bad_old_size"),
    Row(
        "old size with a leading zero",
        5,
        lambda: b"old 05\n\n" + LOG.checkpoint(8),
        400,
        "bad_old_size",
    ),
    Row("negative old size", 5, lambda: b"old -1\n\n" + LOG.checkpoint(8), 400, "bad_old_size"),
    Row(
        "old size above 2**64-1",
        5,
        lambda: b"old 18446744073709551616\n\n" + LOG.checkpoint(8),
        400,
        "bad_old_size",
    ),
    Row("old line with CRLF", 5, lambda: b"old 5\r\n\n" + LOG.checkpoint(8), 400, "bad_old_size"),
    Row(
        "proof line not base64",
        5,
        lambda: b"old 5\n!!!!\n\n" + LOG.checkpoint(8),
        400,
        "bad_proof_line",
    ),
    Row(
        "proof line not 32 bytes",
        5,
        lambda: request_body(5, [b"\x01" * 31], LOG.checkpoint(8)),
        400,
        "bad_proof_line",
    ),
    Row(
        "64 proof lines",
        5,
        lambda: request_body(5, [H] * 64, LOG.checkpoint(8)),
        400,
        "bad_proof_line",
    ),
    Row("no empty line", 5, lambda: b"old 5\n", 400, "bad_request_body"),
    Row(
        "checkpoint without signatures",
        5,
        lambda: b"old 5\n\n" + Checkpoint(ORIGIN, 8, H).to_text().encode(),
        400,
        "bad_input",
    ),
    Row(
        "note that is not a checkpoint",
        5,
        lambda: (
            b"old 5\n\n"
            + b"hello\n\n"
            + NoteSignature(ORIGIN, LOG_SIGNER.key_id, b"\0" * 64).line().encode()
        ),
        400,
        "bad_input",
    ),
    Row("not UTF-8", 5, lambda: b"old 5\n\n\xff\xfe\n\n", 400, "bad_input"),
    # 403: no trusted signature.
    Row(
        "signed by another key only",
        5,
        lambda: request_body(5, LOG.proof(5, 8), cp_note(8, LOG.root(8), [STRANGER])),
        403,
        "untrusted_checkpoint",
    ),
    Row(
        "trusted key, bad signature",
        5,
        lambda: request_body(5, LOG.proof(5, 8), forged_signature_note()),
        403,
        "untrusted_checkpoint",
    ),
    Row(
        "trusted and bad signature together",
        5,
        lambda: request_body(
            5,
            LOG.proof(5, 8),
            LOG.checkpoint(8)
            + NoteSignature(ORIGIN, LOG_SIGNER.key_id, b"\0" * 64).line().encode(),
        ),
        403,
        "untrusted_checkpoint",
    ),
    # 404: unknown origin.
    Row(
        "unknown origin",
        5,
        lambda: request_body(0, [], sign_checkpoint(Checkpoint(OTHER_LOG.name, 1, H), [OTHER_LOG])),
        404,
        "unknown_origin",
    ),
    # 409: old size is not the latest cosigned size.
    Row("old 0 after cosigning 5", 5, lambda: LOG.body(0, 8), 409, size=5),
    Row("old size older than the latest", 5, lambda: LOG.body(3, 8), 409, size=5),
    Row("old size newer than the latest", 5, lambda: LOG.body(6, 8), 409, size=5),
    Row("old size on a fresh witness", None, lambda: LOG.body(5, 8), 409, size=0),
    Row("other root at the latest size, stale old", 5, lambda: FORK.body(0, 5), 409, size=5),
    # 422: the proof, or same size with another root, or a bad empty tree.
    Row(
        "consistency proof does not verify",
        5,
        lambda: LOG.body(5, 8, proof=[H, H, H]),
        422,
        "bad_consistency_proof",
    ),
    Row(
        "proof of another size pair",
        5,
        lambda: LOG.body(5, 8, proof=LOG.proof(4, 8)),
        422,
        "bad_consistency_proof",
    ),
    Row("proof from another history", 5, lambda: FORK.body(5, 8), 422, "bad_consistency_proof"),
    Row("missing proof", 5, lambda: LOG.body(5, 8, proof=[]), 422, "bad_consistency_proof"),
    Row("same size, another root", 5, lambda: FORK.body(5, 5), 422, "root_mismatch"),
    Row(
        "same size with a proof", 5, lambda: LOG.body(5, 5, proof=[H]), 422, "bad_consistency_proof"
    ),
    Row("old 0 with a proof", None, lambda: LOG.body(0, 5, proof=[H]), 422, "unexpected_proof"),
    Row(
        "size 0 with a root that is not the empty tree's",
        None,
        lambda: request_body(0, [], cp_note(0, H, [LOG_SIGNER])),
        422,
        "bad_empty_root",
    ),
    # 413: too large to read.
    Row("body over the limit", 5, lambda: b"old 5\n" + b"A" * MAX_BODY, 413, "body_too_large"),
]


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Witness]:
    w = make_witness(tmp_path / "w.db")
    yield w
    w.store.close()


@pytest.fixture
def client(witness: Witness) -> Iterator[TestClient]:
    with TestClient(create_witness_app(witness)) as c:
        yield c


def test_every_status_of_the_spec_is_in_the_table() -> None:
    assert {r.status for r in ROWS} == {200, 400, 403, 404, 409, 413, 422}


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_add_checkpoint_status_matrix(row: Row, witness: Witness, client: TestClient) -> None:
    if row.start is not None:
        witness.add_checkpoint(LOG.body(0, row.start))
    before = witness.store.latest(ORIGIN)
    r = client.post("/add-checkpoint", content=row.body())
    assert r.status_code == row.status, r.text
    after = witness.store.latest(ORIGIN)
    if row.status == 200:
        assert r.headers["content-type"].startswith("text/plain")
        [sig] = parse_note(b"x\n\n" + r.content).signatures  # one note signature line
        cosig = Cosignature.from_note_signature(sig)
        assert cosig.timestamp == NOW
        assert after is not None
        text = parse_note(after.note).text
        WITNESS_SIGNER.verifier().verify(text, cosig)  # over the checkpoint now stored
        assert r.content.decode() in after.note.decode()  # the full cosigned note is kept
        return
    assert after == before  # a refusal changes nothing
    if row.status == 409:
        assert r.headers["content-type"] == "text/x.tlog.size"
        assert r.content == f"{row.size}\n".encode()
        return
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["status"], problem["code"]) == (row.status, row.code)


def test_stored_note_keeps_verified_log_signatures_and_drops_unknown(witness: Witness) -> None:
    witness.add_checkpoint(request_body(0, [], with_unknown_signature()))
    stored = witness.store.latest(ORIGIN)
    assert stored is not None
    names = [s.name for s in parse_note(stored.note).signatures]
    assert names == [ORIGIN, WITNESS_SIGNER.name]


def test_monitor_checkpoint_endpoint(witness: Witness, client: TestClient) -> None:
    digest = hashlib.sha256(ORIGIN.encode()).hexdigest()
    r = client.get(f"/{digest}/checkpoint")
    assert (r.status_code, r.json()["code"]) == (404, "no_checkpoint")  # nothing cosigned yet
    client.post("/add-checkpoint", content=LOG.body(0, 7))
    r = client.get(f"/{digest}/checkpoint")
    assert r.status_code == 200
    note = parse_note(r.content)
    assert Checkpoint.from_text(note.text) == Checkpoint(ORIGIN, 7, LOG.root(7))
    log_sig, cosig = note.signatures
    LOG_SIGNER.verifier().verify(note.text.encode(), log_sig.signature)
    WITNESS_SIGNER.verifier().verify(note.text, Cosignature.from_note_signature(cosig))
    r = client.get(f"/{hashlib.sha256(b'log.test/unknown').hexdigest()}/checkpoint")
    assert r.status_code == 404


def test_evidence_endpoint_pages_and_validates(witness: Witness, client: TestClient) -> None:
    client.post("/add-checkpoint", content=LOG.body(0, 5))
    assert client.get("/evidence").json() == {"evidence": []}
    client.post("/add-checkpoint", content=FORK.body(5, 5))
    client.post("/add-checkpoint", content=request_body(5, [], cp_note(0, H, [LOG_SIGNER])))
    items = client.get("/evidence").json()["evidence"]
    assert [e["reason"] for e in items] == ["same_size_other_root"]  # 0 < 5: a 400, no evidence
    [e] = items
    assert e["origin_hash"] == hashlib.sha256(ORIGIN.encode()).hexdigest()
    assert e["checkpoint"].encode() == FORK.checkpoint(5)
    assert parse_note(e["cosigned"].encode()).text == Checkpoint(ORIGIN, 5, LOG.root(5)).to_text()
    assert client.get("/evidence", params={"after": e["id"]}).json() == {"evidence": []}
    mine = client.get("/evidence", params={"origin_hash": e["origin_hash"]}).json()
    assert mine == {"evidence": items}
    other = hashlib.sha256(b"log.test/unknown").hexdigest()
    assert client.get("/evidence", params={"origin_hash": other}).json() == {"evidence": []}
    bad: list[dict[str, str | int]] = [
        {"after": -1},
        {"limit": 0},
        {"limit": 101},
        {"after": "x"},
        {"origin_hash": "ABC"},
    ]
    for params in bad:
        r = client.get("/evidence", params=params)
        assert (r.status_code, r.json()["code"]) == (422, "bad_request")


def test_wrong_method_and_path_are_problems(client: TestClient) -> None:
    r = client.get("/add-checkpoint")
    assert (r.status_code, r.headers["content-type"]) == (405, "application/problem+json")
    assert "POST" in r.headers["allow"]
    assert client.get("/nothing/here").status_code == 404


def test_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"old 0\n"
        yield b"A" * (MAX_BODY + 1)

    r = client.post("/add-checkpoint", content=chunks())  # streamed: no Content-Length
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")
    r = client.post(
        "/add-checkpoint", content=b"old 0\n", headers={"content-length": str(MAX_BODY + 1)}
    )
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")
