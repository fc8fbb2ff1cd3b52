"""Mutated signed member requests (issue "No stranger or member can break credo"): Hypothesis
mutates the bodies of valid signed calls (values, keys, duplicate keys, JSON types, nesting,
encodings, sizes) and their RFC 9421 headers (every Signature-Input parameter, the covered
components, the signature, the Content-Digest), re-signed correctly or deliberately not.

Every answer is a 2xx with a JSON body, or a 4xx RFC 9457 problem with a snake_case
``code``: never a 5xx, never a traceback.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credo.api import create_app
from credo.api.httpsig import ALG, LABEL, content_digest, sign_request, signature_base
from credo.ledger import verify_store
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node
from credo.settings import Settings
from credo.store import open_store
from tests._people import FAR_FUTURE, NID, grant, key_of, put_record
from tests.conftest import adopt_default_rules
from tests.ledger.test_mutations import payload_bytes

CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MUTATIONS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_nonces = itertools.count()


@dataclass
class Api:
    client: TestClient
    data_dir: Path
    consent: str
    revocable: str
    keys: dict[str, MemberKey]


@pytest.fixture
def api(data_dir: Path) -> Iterator[Api]:
    """The consortium with the default rules adopted, a record about NID and a consent."""
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
    finally:
        node.close()
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        put_record(client, data_dir, "bank", {"amount": 100})
        consent = grant(client, data_dir, "bank")
        revocable = grant(client, data_dir, "bank", purpose="legal_obligation")
        keys = {m: key_of(data_dir, m) for m in ("operator", "bank", "uni", "watch")}
        yield Api(client, data_dir, consent, revocable, keys)
    store = open_store(DataDir(data_dir).store_location)
    try:
        assert verify_store(store).entries == store.tree_size()
    finally:
        store.close()


# (signer, path, body): calls each member may make; {consent} is filled in.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "bank",
        "/v1/records/prepare",
        {
            "national_id": NID,
            "category": "finance",
            "type": "loan.repaid",
            "payload": {"amount": 250, "currency": "EUR", "on_time": True},
            "effective_at": "2026-01-15T00:00:00Z",
        },
    ),
    (
        "bank",
        "/v1/access",
        {
            "national_id": NID,
            "purpose": "credit_assessment",
            "basis": {"type": "consent", "id": "{consent}"},
            "categories": ["finance"],
        },
    ),
    (
        "operator",
        "/v1/consents",
        {
            "national_id": NID,
            "member": "bank",
            "purpose": "credit_assessment",
            "categories": ["finance"],
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": FAR_FUTURE,
        },
    ),
    ("operator", "/v1/consents/{revocable}/revoke", {"reason": "revoked_by_person"}),
    ("bank", "/v1/benefits/bike-deposit-free/eligibility", {"national_id": NID}),
    ("uni", "/v1/benefits/bike-deposit-free/eligibility", {"national_id": "ID-NOBODY-1"}),
]
calls = st.sampled_from(CALLS)


def _fill(value: Any, api: Api) -> Any:
    text = json.dumps(value).replace("{consent}", api.consent)
    return json.loads(text.replace("{revocable}", api.revocable))


def _nonce() -> str:
    return f"nonce-{next(_nonces):08d}-{secrets.token_urlsafe(6)}"


def assert_answered(r: Response) -> None:
    """A 2xx with a JSON body, or a 4xx problem with a code; never a 5xx or a traceback."""
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text
    doc = r.json()
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.headers
        assert CODE.match(doc["code"]), doc
        assert doc["status"] == r.status_code, doc


def _post(api: Api, path: str, body: bytes, headers: dict[str, str]) -> Response:
    return api.client.post(
        path, content=body, headers={"content-type": "application/json", **headers}
    )


# -- mutated bodies, correctly signed -----------------------------------------------------------


@MUTATIONS
@given(call=calls, data=st.data())
def test_a_mutated_body_signed_by_the_member_is_answered(
    api: Api, call: tuple[str, str, dict[str, Any]], data: st.DataObject
) -> None:
    signer, path, template = call
    path = _fill(path, api)
    body = data.draw(payload_bytes(_fill(template, api)))
    r = _post(api, path, body, sign_request(api.keys[signer], "POST", path, body))
    assert_answered(r)


@MUTATIONS
@given(call=calls, data=st.data())
def test_a_body_with_a_repeated_key_is_refused(
    api: Api, call: tuple[str, str, dict[str, Any]], data: st.DataObject
) -> None:
    """One reading of what was signed: a key twice in any object is a 400 duplicate_key
    (or the body fails its schema first), never accepted."""
    signer, path, template = call
    path = _fill(path, api)
    doc = _fill(template, api)
    key = data.draw(st.sampled_from(sorted(doc)))
    raw = json.dumps(doc)
    twin = json.dumps(data.draw(st.one_of(st.just(doc[key]), st.text(max_size=10))))
    body = ("{" + json.dumps(key) + ": " + twin + ", " + raw[1:]).encode()
    r = _post(api, path, body, sign_request(api.keys[signer], "POST", path, body))
    assert_answered(r)
    assert r.status_code in (400, 422), r.text
    assert r.json()["code"] in ("duplicate_key", "bad_request"), r.text


# -- mutated signatures ---------------------------------------------------------------------------


@dataclass
class Params:
    """A Signature-Input as members write it, piece by piece, so each piece can be mutated."""

    label: str
    components: list[str]
    params: list[tuple[str, str]]  # name, value as written ('"text"' or an integer)

    def text(self) -> str:
        items = " ".join(f'"{c}"' for c in self.components)
        return f"({items})" + "".join(f";{n}={v}" for n, v in self.params)


_ints = st.one_of(
    st.sampled_from([0, -1, 10**15 - 1, 10**15, 10**30]),
    st.integers(-(10**16), 10**16),
    st.builds(lambda d: int(time.time()) + d, st.integers(-1_000, 1_000)),
)
_param_text = st.one_of(
    st.builds(str, _ints),
    st.builds(
        lambda s: f'"{s}"',
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    ),
    st.sampled_from(
        ['""', '"ed25519"', "ed25519", '"rsa-pss-sha512"', "1.5", "-0", '"' + "a" * 200 + '"']
    ),
)


@st.composite
def mutated_params(draw: st.DrawFn, key: MemberKey, query: bool) -> Params:
    comps = ["@method", "@path", *(["@query"] if query else []), "content-digest"]
    p = Params(
        LABEL,
        comps,
        [
            ("created", str(int(time.time()))),
            ("keyid", f'"{key.key_id}"'),
            ("nonce", f'"{_nonce()}"'),
            ("alg", f'"{ALG}"'),
        ],
    )
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                [
                    "param",
                    "param",
                    "drop",
                    "add",
                    "repeat",
                    "expires",
                    "order",
                    "components",
                    "label",
                ]
            )
        )
        if op == "param" and p.params:
            i = draw(st.integers(0, len(p.params) - 1))
            p.params[i] = (p.params[i][0], draw(_param_text))
        elif op == "drop" and p.params:
            p.params.pop(draw(st.integers(0, len(p.params) - 1)))
        elif op == "add":
            name = draw(st.sampled_from(["tag", "foo", "expires", "created", "keyid"]))
            p.params.append((name, draw(_param_text)))
        elif op == "repeat" and p.params:
            p.params.append(draw(st.sampled_from(p.params)))
        elif op == "expires":
            p.params.insert(1, ("expires", str(int(time.time()) + draw(st.integers(-600, 600)))))
        elif op == "order":
            p.params = draw(st.permutations(p.params))
        elif op == "components":
            p.components = draw(
                st.one_of(
                    st.permutations(comps),
                    st.lists(
                        st.sampled_from(
                            [*comps, "@query", "@authority", "content-type", "@method"]
                        ),
                        max_size=6,
                    ),
                )
            )
        elif op == "label":
            p.label = draw(st.sampled_from(["sig2", "a", "x" * 40, "Sig1", ""]))
    return p


def _sign_base(key: MemberKey, path: str, query: str, body: bytes, p: Params) -> bytes:
    known = {"@method", "@path", "@query", "content-digest"}
    comps = [c for c in p.components if c in known]
    base = signature_base(
        "POST", path, content_digest(body), p.text(), components=comps, query=query
    )
    return key.sign(base)


@MUTATIONS
@given(call=calls, data=st.data())
def test_mutated_signature_headers_are_refused_or_accepted_never_a_5xx(
    api: Api, call: tuple[str, str, dict[str, Any]], data: st.DataObject
) -> None:
    signer, path, template = call
    path = _fill(path, api)
    body = json.dumps(_fill(template, api)).encode()
    query = data.draw(
        st.sampled_from(["", "", "a=1", "x=%00&y=\u00e9".encode().decode("latin-1"), "=="])
    )
    key = data.draw(
        st.sampled_from(
            [api.keys[signer], api.keys[signer], *api.keys.values(), MemberKey.generate()]
        )
    )
    p = data.draw(mutated_params(key, bool(query)))
    sig = _sign_base(key, path, query, body, p)
    how = data.draw(
        st.sampled_from(["right", "right", "flip", "short", "b64", "other_key", "label"])
    )
    sig_text = base64.b64encode(sig).decode()
    label = p.label
    if how == "flip":
        raw = bytearray(sig)
        raw[data.draw(st.integers(0, 63))] ^= 1 << data.draw(st.integers(0, 7))
        sig_text = base64.b64encode(bytes(raw)).decode()
    elif how == "short":
        sig_text = base64.b64encode(sig[: data.draw(st.integers(0, 63))]).decode()
    elif how == "b64":
        sig_text = data.draw(
            st.sampled_from(["", "!!!!", sig_text[:-2], sig_text + "==", sig_text.replace("=", "")])
        )
    elif how == "other_key":
        sig_text = base64.b64encode(_sign_base(MemberKey.generate(), path, query, body, p)).decode()
    elif how == "label":
        label = "sig9"
    digest = data.draw(
        st.sampled_from(
            [content_digest(body)] * 4
            + [content_digest(body + b" "), "sha-512=:AAAA:", "", content_digest(body).lower()]
        )
    )
    headers = {
        "Signature-Input": f"{p.label}={p.text()}",
        "Signature": f"{label}=:{sig_text}:",
        "Content-Digest": digest,
    }
    for name in data.draw(st.lists(st.sampled_from(sorted(headers)), max_size=1)):
        del headers[name]
    target = f"{path}?{query}" if query else path
    r = _post(api, target, body, headers)
    assert_answered(r)
    same = sig_text.replace("=", "") == base64.b64encode(sig).decode().replace("=", "")
    stranger = key not in api.keys.values()
    if (how != "right" and not same) or stranger:  # a signature no member made: refused
        assert r.status_code in (401, 403), (how, r.status_code, r.text)


@MUTATIONS
@given(call=calls, data=st.data())
def test_a_replayed_or_oversized_signed_request_is_refused(
    api: Api, call: tuple[str, str, dict[str, Any]], data: st.DataObject
) -> None:
    signer, path, template = call
    path = _fill(path, api)
    doc = _fill(template, api)
    size = data.draw(st.sampled_from([0, 1_000, 16_000, 65_000, 70_000, 200_000]))
    if size:
        doc["padding"] = "x" * size
    body = json.dumps(doc).encode()
    headers = sign_request(api.keys[signer], "POST", path, body, nonce=_nonce())
    first = _post(api, path, body, headers)
    assert_answered(first)
    again = _post(api, path, body, headers)
    assert_answered(again)
    if len(body) > 64 * 1024:
        assert first.status_code == 413, first.text
    else:
        assert again.status_code == 401, again.text
        assert again.json()["code"] == "bad_signature"
