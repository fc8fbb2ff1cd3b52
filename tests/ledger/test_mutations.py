"""Mutated signed entries (issue "No stranger or member can break credo"): Hypothesis takes
valid payloads of many kinds, each signed by a member allowed to sign it, and mutates them at
random (strings, numbers, keys, JSON types, nesting, encodings, sizes), re-signs them with
the right key (or deliberately the wrong one), garbles envelopes, and submits each mutant
between two fresh valid attestations in one group.

Every outcome is an accepted entry or a refusal with a snake_case code, never another
exception and never ``internal_error``; the valid entries beside a mutant are accepted, and
the log still verifies from entry 0.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credo.errors import CredoError, EntryRejected
from credo.ledger import verify_store
from credo.ledger.dsse import payload_type_for, sign_envelope
from credo.ledger.entries import envelope_json, make_envelope, public_key_b64
from credo.ledger.keys import MemberKey
from credo.ledger.kinds import SEALED
from credo.ledger.sequencer import Accepted, Outcome
from credo.services.node import Node, admit_member
from tests.conftest import member_key

CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NEIGHBOUR = "notary"  # signs the valid attestations; no template names it, so no mutant can
MUTATIONS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_counter = itertools.count()


def _hex(label: str, n: int, size: int = 32) -> str:
    return hashlib.sha256(f"{label} {n}".encode()).hexdigest()[:size]


def _stamp(offset: float = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def _digest(label: str, n: int) -> str:
    return "sha256:" + _hex(label, n, 64)


# -- the consortium the templates act on ----------------------------------------------------

R1, R2, S1, C1, D1 = (_hex(x, 0) for x in ("record", "record2", "subject", "consent", "dispute"))
A1 = _digest("attested", 0)


@dataclass
class World:
    ledger: Node
    keys: dict[str, MemberKey]
    subject: str = ""

    def body(self, kind: str, signer: str, meta: dict[str, Any]) -> dict[str, Any]:
        """A personal kind's body sealed for the world's person; others as they are."""
        meta = {k: v for k, v in meta.items() if k != "subject"}
        vault = self.ledger.vault
        if kind == "subject.erase":
            return {"tag": vault.entry_tag(self.subject)}
        if kind not in SEALED:
            return meta
        subject = self.subject
        if kind == "programme.enrol":  # someone new each time
            subject = vault.ensure_subject(f"ENROL{next(_counter)}")
        sealed = vault.seal_meta(subject, kind, signer, meta)
        return {"tag": sealed.tag, "sealed": sealed.sealed, "commitment": sealed.commitment}

    def neighbour(self) -> dict[str, Any]:
        """A fresh valid attestation, never seen before."""
        n = next(_counter)
        body = {"digest": _digest("neighbour", n), "doc_type": "diploma"}
        env = make_envelope("attestation.issue", NEIGHBOUR, body, [self.keys[NEIGHBOUR]])
        return envelope_json(env)


@pytest.fixture
def world(ledger: Node, data_dir: Path) -> Iterator[World]:
    """The MEMBERS, a notary, a spare member to re-key, and a record, a second record, a
    consent, a dispute, an attestation and a proposal for the templates to name."""
    admit_member(ledger, NEIGHBOUR, "Test Notary", "company", ["issuer"])
    admit_member(ledger, "spare", "Spare Member", "company", ["recorder"])
    keys = {m: member_key(data_dir, m) for m in ("operator", "uni", "bank", "watch", NEIGHBOUR)}
    w = World(ledger, keys, ledger.vault.ensure_subject("MUTATION0001"))
    for n, record in enumerate((R1, R2)):
        put = w.body("record.put", "bank", {**_record(n), "record_id": record})
        ledger.submit_one("record.put", "bank", put)
    ledger.submit_one(
        "consent.grant", "operator", w.body("consent.grant", "operator", _consent(C1))
    )
    dispute = {"id": D1, "record_id": R1, "statement": _hex("stmt", 0, 64)}
    ledger.submit_one("dispute.open", "operator", w.body("dispute.open", "operator", dispute))
    ledger.submit_one("attestation.issue", "uni", {"digest": A1, "doc_type": "diploma"})
    ledger.submit_one("governance.propose", "operator", _proposal("prop-0", 0))
    yield w
    assert verify_store(ledger.store, opener=ledger.vault).entries == ledger.store.tree_size()


def _record(n: int) -> dict[str, Any]:
    return {
        "record_id": _hex("record-new", n),
        "subject": S1,
        "category": "finance",
        "type": "loan.repaid",
        "effective_at": "2026-01-15T00:00:00Z",
        "commitment": _hex("commitment", n, 64),
        "vault_key": _hex("vault", n),
    }


def _consent(consent_id: str) -> dict[str, Any]:
    return {
        "id": consent_id,
        "subject": S1,
        "member": "bank",
        "purpose": "credit_assessment",
        "categories": ["finance"],
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2099-01-01T00:00:00Z",
    }


def _new_member(n: int) -> dict[str, Any]:
    return {
        "id": f"member-{n}",
        "name": f"Member {n}",
        "sector": "company",
        "public_key": public_key_b64(MemberKey.generate()),
        "roles": ["recorder"],
    }


def _proposal(proposal_id: str, n: int) -> dict[str, Any]:
    return {"id": proposal_id, "action": "admit_member", "params": _new_member(n), "rationale": ""}


# -- templates: (kind, signer, body for a fresh number n) ------------------------------------

Template = tuple[str, str, Callable[[int], dict[str, Any]]]
TEMPLATES: list[Template] = [
    (
        "attestation.issue",
        "uni",
        lambda n: {"digest": _digest("mutant", n), "doc_type": "diploma", "note": "a note"},
    ),
    ("attestation.revoke", "uni", lambda n: {"digest": A1, "reason": "issued in error"}),
    ("record.put", "bank", _record),
    (
        "record.amend",
        "bank",
        lambda n: (
            {k: v for k, v in _record(n).items() if k not in ("subject", "category")}
            | {"record_id": R1}
        ),
    ),
    ("record.retract", "bank", lambda n: {"record_id": R2, "reason": "entered_in_error"}),
    ("consent.grant", "operator", lambda n: _consent(_hex("consent-new", n))),
    ("consent.revoke", "operator", lambda n: {"id": C1, "reason": "revoked_by_person"}),
    (
        "mandate.adopt",
        "operator",
        lambda n: {
            "id": f"mandate-{n}",
            "purpose": "legal_obligation",
            "categories": ["finance"],
            "members": ["bank"],
            "sectors": ["bank"],
            "legal_reference": "Credit Act s. 12",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": None,
        },
    ),
    (
        "access.read",
        "operator",
        lambda n: {
            "subject": S1,
            "member": "bank",
            "purpose": "credit_assessment",
            "basis": {"type": "consent", "id": C1},
            "categories_requested": ["finance"],
            "categories_granted": ["finance"],
            "outcome": "granted",
            "reason": "ok",
            "record_ids": [R1],
            "request_digest": _digest("request", n),
        },
    ),
    ("programme.enrol", "operator", lambda n: {"subject": _hex("enrol", n)}),
    (
        "dispute.open",
        "operator",
        lambda n: {
            "id": _hex("dispute-new", n),
            "record_id": R1,
            "subject": S1,
            "statement": _hex("stmt", n, 64),
        },
    ),
    (
        "dispute.answer",
        "bank",
        lambda n: {"id": D1, "outcome": "upheld", "evidence": "the loan was repaid"},
    ),
    ("dispute.expire", "operator", lambda n: {"id": D1}),
    (
        "benefit.check",
        "operator",
        lambda n: {
            "subject": S1,
            "member": "bank",
            "benefit": "low-rate-loan",
            "context": "finance",
            "outcome": "answered",
            "reason": "ok",
            "request_digest": _digest("benefit", n),
        },
    ),
    (
        "account.code",
        "operator",
        lambda n: {
            "subject": S1,
            "member": "operator",
            "code": "enrolment",
            "code_id": _hex("code", n),
            "expires_at": _stamp(14 * 86400),
        },
    ),
    (
        "account.device",
        "operator",
        lambda n: {"subject": S1, "event": "refused", "code_id": _hex("code", n)},
    ),
    ("governance.propose", "operator", lambda n: _proposal(f"prop-{n + 1}", n)),
    ("governance.vote", "watch", lambda n: {"proposal": "prop-0", "vote": "no"}),
    ("member.admit", "operator", _new_member),
    (
        "member.rotate_key",
        "operator",
        lambda n: {"id": "spare", "public_key": public_key_b64(MemberKey.generate())},
    ),
    ("subject.erase", "operator", lambda n: {"subject": _hex("erase", n)}),
]


# -- hostile values ---------------------------------------------------------------------------

IMPOSSIBLE_TIMES = [
    "2026-02-30T00:00:00Z",
    "2027-02-29T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:60Z",
    "2026-12-31T24:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T00:00:00.1234567Z",
    "2026-01-01T00:00:00.000000Z",
    "2026-01-01T00:00:00+00:00",
    "2026-01-01t00:00:00z",
    "2026-01-01 00:00:00Z",
    "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",  # fullwidth digits
    "\u0662\u0660\u0662\u0666-01-01T00:00:00Z",  # Arabic-Indic digits
    "2026-01-01T00:00:00Z\n",
    " 2026-01-01T00:00:00Z",
]
POOL = ["bank", "operator", "watch", "clinic", "spare", R1, R2, S1, C1, D1, A1, "prop-0", "ok"]
TRICKY = ['he said "x": y', '\\":', "\\", '"', "\u0000", "\\u0062y", "}", '{"by":"bank"}']

_texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        IMPOSSIBLE_TIMES + POOL + TRICKY + ["", "\x00", "\u202e", "\ud800", "\U0001f600"]
    ),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(["a", "0", "\u00e9", "\U0001f600"]),
        st.integers(0, 20_000),
    ),
)
_numbers = st.one_of(
    st.sampled_from([10**30, -(10**30), 2**63, 2**64, -1, 0, 1, 10**400]),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)
_scalars = st.one_of(_texts, _numbers)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


# -- mutating a payload document --------------------------------------------------------------


class Pairs(list[tuple[str, Any]]):
    """A JSON object written with its pairs in this order, repeats included."""


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(doc, Pairs):
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*here, i))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


@dataclass(frozen=True)
class Deep:
    """A value nested ``depth`` arrays or objects deep, written out without recursion."""

    depth: int
    leaf: Any
    as_list: bool


@st.composite
def mutated_doc(draw: st.DrawFn, doc: dict[str, Any]) -> Any:
    """The payload document with one to three structural mutations."""
    out: Any = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(out))
        path = draw(st.sampled_from(paths))
        target = _get(out, path)
        op = draw(st.sampled_from(["replace"] * 4 + ["drop", "add", "nest", "dup", "dup"]))
        if op == "replace":
            out = _set(out, path, draw(_values))
        elif op == "drop" and path:
            parent = _get(out, path[:-1])
            if isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, list):
                parent.pop(path[-1])
        elif op == "add" and isinstance(target, dict):
            key = draw(st.one_of(st.text(max_size=12), st.sampled_from(["v", "kind", "by", "at"])))
            target[key] = draw(_values)
        elif op == "nest":
            depth = draw(st.sampled_from([2, 30, 120, 250, 1_000, 5_000]))
            out = _set(out, path, Deep(depth, target, draw(st.booleans())))
        elif op == "dup":
            objects = [p for p in paths if isinstance(_get(out, p), dict) and _get(out, p)]
            if not objects:
                continue
            path = draw(st.sampled_from(objects))
            target = _get(out, path)
            pairs = Pairs(target.items())
            key = draw(st.sampled_from(sorted(target)))
            twin = draw(st.one_of(st.just(target[key]), _values))
            pairs.insert(draw(st.integers(0, len(pairs))), (key, twin))
            out = _set(out, path, pairs)
    return out


def _dump(value: Any, ascii_only: bool, spaced: bool) -> str:
    if isinstance(value, Deep):
        opening, closing = ("[", "]") if value.as_list else ('{"a":', "}")
        leaf = _dump(value.leaf, ascii_only, spaced)
        return opening * value.depth + leaf + closing * value.depth
    if isinstance(value, Pairs | dict):
        items = value if isinstance(value, Pairs) else list(value.items())
        sep = ", " if spaced else ","
        colon = " : " if spaced else ":"
        body = sep.join(
            f"{json.dumps(k, ensure_ascii=ascii_only)}{colon}{_dump(v, ascii_only, spaced)}"
            for k, v in items
        )
        return "{" + body + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v, ascii_only, spaced) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def _escape_key(raw: bytes, n: int) -> bytes:
    """Write the first letter of the n-th key as a \\u escape: the same key to JSON."""
    keys = list(re.finditer(rb'"([a-z])([a-z_]*)":', raw))
    if not keys:
        return raw
    m = keys[n % len(keys)]
    return raw[: m.start()] + b'"\\u%04x' % ord(m[1]) + m[2] + b'":' + raw[m.end() :]


@st.composite
def payload_bytes(draw: st.DrawFn, doc: dict[str, Any]) -> bytes:
    """A mutated payload: a mutated document in some encoding, or a raw-byte mutation."""
    mutant = draw(st.one_of(st.just(doc), mutated_doc(doc)))
    text = _dump(mutant, draw(st.booleans()), draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    op = draw(
        st.sampled_from(
            ["none"] * 6 + ["escape_key", "bad_utf8", "truncate", "garbage", "bom", "not_json"]
        )
    )
    if op == "escape_key":
        raw = _escape_key(raw, draw(st.integers(0, 20)))
    elif op == "bad_utf8":
        at = draw(st.integers(0, len(raw)))
        bad = draw(st.sampled_from([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\x00"]))
        raw = raw[:at] + bad + raw[at:]
    elif op == "truncate":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif op == "garbage":
        raw = raw + draw(st.sampled_from([b" ", b"\n", b"x", b"{}", b",", b"\x00"]))
    elif op == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif op == "not_json":
        raw = draw(st.binary(max_size=200))
    return raw


# -- mutating an envelope -----------------------------------------------------------------------


def _flip(sig: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(sig))
    raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
    return base64.b64encode(bytes(raw)).decode()


@st.composite
def mutated_envelope(draw: st.DrawFn, env: dict[str, Any]) -> Any:
    """The envelope object with one mutation that is not a payload's: garbled signatures,
    bad base64, wrong types, missing and extra fields."""
    out: Any = json.loads(json.dumps(env))
    sig = out["signatures"][0]
    op = draw(
        st.sampled_from(
            [
                "flip_sig",
                "short_sig",
                "sig_b64",
                "payload_b64",
                "urlsafe",
                "unpadded",
                "keyid",
                "payload_type",
                "no_signatures",
                "many_signatures",
                "drop_field",
                "add_field",
                "wrong_type",
                "not_an_object",
            ]
        )
    )
    if op == "flip_sig":
        sig["sig"] = _flip(sig["sig"], draw(st.integers(0, 511)))
    elif op == "short_sig":
        sig["sig"] = base64.b64encode(
            base64.b64decode(sig["sig"])[: draw(st.integers(0, 63))]
        ).decode()
    elif op == "sig_b64":
        sig["sig"] = draw(
            st.sampled_from(["", "!!!!", sig["sig"][:-1], sig["sig"] + "A", " " + sig["sig"]])
        )
    elif op == "payload_b64":
        at = draw(st.integers(0, len(out["payload"])))
        junk = draw(st.sampled_from(["!", "=", "\n", " ", "A", "\u00e9", "%"]))
        out["payload"] = out["payload"][:at] + junk + out["payload"][at:]
    elif op == "urlsafe":
        out["payload"] = base64.urlsafe_b64encode(base64.b64decode(out["payload"])).decode()
    elif op == "unpadded":
        out["payload"] = out["payload"].rstrip("=")
    elif op == "keyid":
        sig["keyid"] = draw(
            st.one_of(st.text(max_size=200), st.sampled_from(["", "a" * 129, "../x"]))
        )
    elif op == "payload_type":
        kind = draw(
            st.one_of(
                st.sampled_from([t[0] for t in TEMPLATES] + ["genesis", "nope"]),
                st.text(max_size=20),
            )
        )
        out["payloadType"] = draw(
            st.sampled_from([payload_type_for(kind), kind, "application/json", ""])
        )
    elif op == "no_signatures":
        out["signatures"] = []
    elif op == "many_signatures":
        out["signatures"] = [sig] * draw(st.integers(2, 12))
    elif op == "drop_field":
        target = draw(st.sampled_from([out, sig]))
        del target[draw(st.sampled_from(sorted(target)))]
    elif op == "add_field":
        target = draw(st.sampled_from([out, sig]))
        target[draw(st.text(max_size=10))] = draw(_values)
    elif op == "wrong_type":
        target = draw(st.sampled_from([out, sig]))
        target[draw(st.sampled_from(sorted(target)))] = draw(_values)
    else:
        out = draw(_values)
    return out


# -- assertions ---------------------------------------------------------------------------------


def assert_refused_or_accepted(outcome: Outcome) -> None:
    if isinstance(outcome, Accepted):
        return
    assert isinstance(outcome, EntryRejected), outcome
    assert CODE.match(outcome.code), outcome.code
    assert outcome.code != "internal_error", outcome.message


def submit_between(world: World, mutant: Any) -> Outcome:
    """Submit the mutant between two fresh valid attestations, in one group."""
    outcomes = world.ledger.submit([world.neighbour(), mutant, world.neighbour()])
    assert len(outcomes) == 3
    assert isinstance(outcomes[0], Accepted), outcomes[0]
    assert isinstance(outcomes[2], Accepted), outcomes[2]
    assert_refused_or_accepted(outcomes[1])
    return outcomes[1]


def _sign(world: World, signer: str, kind: str, payload: bytes) -> dict[str, Any]:
    return envelope_json(sign_envelope(payload_type_for(kind), payload, [world.keys[signer]]))


def _doc(kind: str, signer: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"v": 1, "kind": kind, "by": signer, "at": _stamp(), "body": body}


templates = st.sampled_from(TEMPLATES)
numbers = st.builds(lambda: next(_counter))  # fresh ids each example, shrinking or not


# -- the properties -----------------------------------------------------------------------------


@MUTATIONS
@given(template=templates, n=numbers, data=st.data())
def test_a_mutated_payload_signed_by_its_member_is_refused_alone_or_accepted(
    world: World, template: Template, n: int, data: st.DataObject
) -> None:
    kind, signer, body = template
    raw = data.draw(payload_bytes(_doc(kind, signer, world.body(kind, signer, body(n)))))
    submit_between(world, _sign(world, signer, kind, raw))


@MUTATIONS
@given(template=templates, n=numbers, data=st.data())
def test_a_valid_payload_signed_wrongly_or_in_a_garbled_envelope_is_refused_alone(
    world: World, template: Template, n: int, data: st.DataObject
) -> None:
    kind, signer, body = template
    raw = json.dumps(_doc(kind, signer, world.body(kind, signer, body(n)))).encode()
    how = data.draw(st.sampled_from(["other_key", "stranger", "both", "envelope"]))
    if how == "envelope":
        mutant = data.draw(mutated_envelope(_sign(world, signer, kind, raw)))
    else:
        others = [k for m, k in world.keys.items() if m != signer]
        wrong = data.draw(st.sampled_from([*others, MemberKey.generate()]))
        keys = {
            "other_key": [wrong],
            "stranger": [MemberKey.generate()],
            "both": [world.keys[signer], wrong],
        }[how]
        mutant = envelope_json(sign_envelope(payload_type_for(kind), raw, keys))
    outcome = submit_between(world, mutant)
    if how != "both" and not (how == "envelope" and isinstance(outcome, Accepted)):
        assert isinstance(outcome, EntryRejected), (how, outcome)


def _raw_envelope(world: World, data: st.DataObject) -> bytes:
    """An entry as raw JSON text in a request body: mutated payload, envelope, or bytes."""
    kind, signer, body = data.draw(templates)
    doc = _doc(kind, signer, world.body(kind, signer, body(data.draw(numbers))))
    how = data.draw(st.sampled_from(["payload", "envelope", "dup", "bytes"]))
    if how == "payload":
        return json.dumps(_sign(world, signer, kind, data.draw(payload_bytes(doc)))).encode()
    env = _sign(world, signer, kind, json.dumps(doc).encode())
    if how == "envelope":
        return json.dumps(data.draw(mutated_envelope(env))).encode()
    if how == "dup":
        field = data.draw(st.sampled_from(["payload", "payloadType", "signatures"]))
        text = json.dumps(env)[:-1] + f", {json.dumps(field)}: {json.dumps(env[field])}}}"
        return text.encode()
    return data.draw(
        st.one_of(
            st.binary(max_size=64),
            st.sampled_from([b"", b"null", b"[]", b"{}", b"1e999", b"NaN", b'"\\ud800"', b"\xff"]),
        )
    )


@MUTATIONS
@given(data=st.data())
def test_a_raw_request_body_with_a_mutated_entry_is_answered(
    world: World, data: st.DataObject
) -> None:
    """What ``POST /v1/entries`` does with the body (`Ledger.submit_body`): either the body as
    a whole is refused with a code, or every entry is answered and the valid ones accepted."""
    mutant = _raw_envelope(world, data)
    first = json.dumps(world.neighbour()).encode()
    last = json.dumps(world.neighbour()).encode()
    body = b'{"entries":[' + first + b"," + mutant + b"," + last + b"]}"
    try:
        outcomes = asyncio.run(world.ledger.ledger.submit_body(body))
    except CredoError as exc:
        refused: CredoError | None = exc
    else:
        refused = None
    if refused is not None:  # the body as a whole: a 4xx problem with a code
        assert CODE.match(refused.code), refused.code
        assert 400 <= refused.status < 500, (refused.status, refused.code)
        return
    assert isinstance(outcomes[0], Accepted), outcomes[0]
    assert isinstance(outcomes[-1], Accepted), outcomes[-1]
    for outcome in outcomes[1:-1]:
        assert_refused_or_accepted(outcome)


@MUTATIONS
@given(data=st.data())
def test_many_mutants_in_one_group_fail_none_of_the_valid_entries(
    world: World, data: st.DataObject
) -> None:
    """Several mutants and valid entries interleaved in one submission (one group)."""
    entries: list[Any] = []
    valid: list[int] = []
    for _ in range(data.draw(st.integers(1, 5))):
        kind, signer, body = data.draw(templates)
        raw = data.draw(
            payload_bytes(_doc(kind, signer, world.body(kind, signer, body(data.draw(numbers)))))
        )
        entries.append(_sign(world, signer, kind, raw))
        valid.append(len(entries))
        entries.append(world.neighbour())
    outcomes = world.ledger.submit(entries)
    for i, outcome in enumerate(outcomes):
        if i in valid:
            assert isinstance(outcome, Accepted), outcome
        else:
            assert_refused_or_accepted(outcome)


# -- what the properties found ------------------------------------------------------------------


def test_a_payload_version_of_true_or_one_point_zero_is_refused(world: World) -> None:
    """Found by the mutations: ``"v": true`` and ``"v": 1.0`` were accepted as version 1 (a
    strict model compares a Literal[1] by equality, and True == 1.0 == 1), so the log held
    signed statements whose version a strict verifier reads as no version at all."""
    for version in (b"true", b"1.0", b"1e0", b'"1"', b"2", b"0"):
        doc = _doc("attestation.issue", "uni", {"digest": _digest("v", 0), "doc_type": "diploma"})
        raw = json.dumps(doc, separators=(",", ":")).encode().replace(b'"v":1', b'"v":' + version)
        assert raw.count(version) >= 1
        outcome = submit_between(world, _sign(world, "uni", "attestation.issue", raw))
        assert isinstance(outcome, EntryRejected), (version, outcome)
        assert outcome.code == "schema", outcome
