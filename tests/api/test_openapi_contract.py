"""The OpenAPI description is complete and true: schemathesis generates requests for every
operation from the served /openapi.json (valid ones, and invalid ones in its negative mode) and
checks every answer against it with all its checks: no 5xx, every status code, content type,
header and body as documented.

Two modes against a real consortium (rules adopted, a record and a consent on the log): a
stranger (no signature, or a random one), and members whose every request is correctly signed
(RFC 9421) over the exact bytes sent, so the generated bodies reach the routes' parsing and the
ledger. A structural test walks the served description: no unresolvable ``$ref``, every
operation documents a problem response, the signature security scheme exists.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from credo.api import create_app
from credo.api.httpsig import sign_request
from credo.api.problems import PROBLEM, PROBLEM_REF
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.settings import Settings
from tests._people import grant, key_of, put_record
from tests.conftest import MEMBERS, ORIGIN, adopt_default_rules

EXAMPLES = 30
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One consortium serves the whole module (a module-scoped fixture), and generated bodies
    # are large and often filtered: neither is a problem here.
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run: a failure here reproduces
)

load_all_checks()
# Every check schemathesis has (`--checks all`), except:
EXCLUDED = {
    # Stateful checks: they need links between operations and a run's history (schemathesis'
    # stateful phase), which a per-operation pytest run does not have; they pass vacuously.
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
}
CHECKS_ALL = [c for c in CHECKS.get_all() if c.__name__ not in EXCLUDED]
# Signed mode also leaves out ignored_auth: it resends each request with deliberately invalid
# credentials and expects a 401, but this mode's session signs everything it sends, that probe
# included, correctly. The unauthenticated mode runs it (and every signed route answers 401).
CHECKS_SIGNED = [c for c in CHECKS_ALL if c.__name__ != "ignored_auth"]


# The statuses test_contract_signed met, by path: test_signing_reached_the_routes reads them.
SIGNED_ANSWERS: dict[str, Counter[int]] = {}


@dataclass
class Consortium:
    data_dir: Path
    app: FastAPI
    consent_id: str
    record_id: str


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Consortium:
    """The conftest consortium (genesis, MEMBERS admitted), with the default rules adopted, a
    finance record about tests._people.NID by bank and the person's consent for bank."""
    root = tmp_path_factory.mktemp("contract") / "data"
    ledger = init_consortium(root, ORIGIN)
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(ledger, member_id, name, sector, roles)
    finally:
        ledger.close()
    node = Node(DataDir(root)).start()
    try:
        adopt_default_rules(node)
    finally:
        node.close()
    with TestClient(create_app(Settings(data_dir=root, workers=0))) as client:
        record_id = put_record(client, root, "bank", {"amount": 1200, "on_time": True})
        consent_id = grant(client, root, "bank")
    # schemathesis starts this app's lifespan itself (and ends it after each test).
    return Consortium(root, create_app(Settings(data_dir=root, workers=0)), consent_id, record_id)


# The description as the app builds it (no data needed for that); test_served_description
# checks that /openapi.json serves exactly this. (`schemathesis.pytest.from_fixture` would load
# it from the fixture's app, but breaks on pytest 9: its lazy loader reads `Function._nodeid`.)
SPEC = create_app(Settings(data_dir=Path("/nonexistent"), workers=0)).openapi()


def _accept_also(paths: list[str], *statuses: str, why: str) -> dict[str, Any]:
    """positive_data_acceptance (ST202) wants schema-valid requests answered 2xx, 401, 403,
    404 or 409. Where validity depends on more than a schema can say (``why``), the
    operations also answer ``statuses`` to schema-valid requests: documented problems."""
    assert why
    default = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # schemathesis' own, no 5xx
    return {
        "include-path": paths,
        "checks": {"positive_data_acceptance": {"expected-statuses": [*default, *statuses]}},
    }


OPERATIONS = [
    _accept_also(
        ["/v1/entries"],
        "422",
        why="an envelope must be signed by an admitted member's current key over its "
        "exact payload, and the payload be a valid entry: no schema says that",
    ),
    _accept_also(
        ["/v1/proofs/inclusion", "/v1/proofs/consistency"],
        "400",
        why="index and sizes must lie within the published tree (bad_size, bad_index), "
        "whose size changes with every checkpoint",
    ),
    _accept_also(
        [
            "/v1/records/prepare",
            "/v1/records/prepare-batch",
            "/v1/access",
            "/v1/consents",
            "/v1/consents/{consent_id}/revoke",
            "/v1/benefits/{benefit_id}/eligibility",
            "/v1/people/invitations",
        ],
        "400",
        "422",
        why="the bodies name things in the consortium's registries and state (a "
        "category the member's sector records, a record type of that category, a purpose, "
        "a member, RFC 3339 times, a national id in the vault's normal form)",
    ),
]
# A stranger: schemathesis generates the signature headers too (random, or left out).
unauthenticated = schemathesis.openapi.from_dict(
    SPEC, config=schemathesis.Config.from_dict({"operations": OPERATIONS})
)
# Members: the headers are the signer's alone (see SignedBy), so none are generated, and no
# negative case "leaves one out" that the signer would then put back.
signed = schemathesis.openapi.from_dict(
    SPEC,
    config=schemathesis.Config.from_dict(
        {"operations": OPERATIONS, "generation": {"with-security-parameters": False}}
    ),
)


class SignedBy(requests.auth.AuthBase):
    """Sign each request (RFC 9421, credo's profile) over the exact target and body sent."""

    def __init__(self, keys: dict[str, MemberKey]) -> None:
        self.keys = keys

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        target = r.path_url
        path = urlsplit(target).path
        # The consent manager's calls are the operator's (admin); the rest are bank's
        # (reader, recorder, provider), so most generated requests get past authorization.
        member = "operator" if path.startswith("/v1/consents") else "bank"
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert isinstance(r.method, str)
        for name in ("Signature", "Signature-Input", "Content-Digest"):
            r.headers.pop(name, None)  # generated security headers, replaced by a real one
        r.headers.update(sign_request(self.keys[member], r.method, target, body))
        return r


@unauthenticated.parametrize()
@HYPOTHESIS
def test_contract_unauthenticated(case: schemathesis.Case, consortium: Consortium) -> None:
    """A stranger: whatever is sent (signature headers included, generated at random), the
    answer is documented and never a 5xx."""
    case.call_and_validate(app=consortium.app, checks=CHECKS_ALL)


@signed.parametrize()
@HYPOTHESIS
def test_contract_signed(case: schemathesis.Case, consortium: Consortium) -> None:
    """Members' correctly signed calls: the generated bodies reach the routes and the ledger;
    every answer is documented and never a 5xx."""
    session = requests.Session()
    session.auth = SignedBy({m: key_of(consortium.data_dir, m) for m in ("operator", "bank")})
    response = case.call_and_validate(app=consortium.app, session=session, checks=CHECKS_SIGNED)
    SIGNED_ANSWERS.setdefault(case.operation.path, Counter())[response.status_code] += 1


def test_signing_reached_the_routes() -> None:
    """The signed mode proves something only if its signatures verify: every signed route
    answered something other than 401 (authorization, the body's parsing, the ledger), and the
    routes whose examples are fully valid succeeded."""
    signed = [
        path
        for path, operations in SPEC["paths"].items()
        for operation in operations.values()
        if operation.get("security")
    ]
    assert len(signed) == 9
    if not SIGNED_ANSWERS:
        pytest.skip("test_contract_signed did not run (deselected)")
    if set(signed) - set(SIGNED_ANSWERS):
        # pytest-xdist ran some of them in another process, whose answers this one cannot
        # see; the check runs whole wherever they all ran in one (a worker's own share).
        pytest.skip("some of test_contract_signed ran in another pytest-xdist worker")
    for path in signed:
        answers = SIGNED_ANSWERS.get(path, Counter())
        assert set(answers) - {401, 405}, f"{path}: only {dict(answers)}"
    for path in ("/v1/records/prepare", "/v1/consents"):
        assert any(200 <= s < 300 for s in SIGNED_ANSWERS[path]), SIGNED_ANSWERS[path]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"not a local ref: {ref}"
    node: Any = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"unresolvable $ref {ref}"
        assert part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def test_served_description(consortium: Consortium) -> None:
    """/openapi.json serves the description the contract tests ran on; every $ref in it
    resolves; every operation documents its problems (RFC 9457, the one Problem schema) and
    a 405 with Allow; the signed routes name the RFC 9421 security scheme."""
    with TestClient(consortium.app) as client:
        served = client.get("/openapi.json").json()
    assert served == SPEC
    refs = set(_refs(served))
    assert refs
    for ref in refs:
        _resolve(served, ref)
    assert "$defs" not in json.dumps(served["paths"])
    components = served["components"]
    assert components["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "code",
        "detail",
    ]
    assert "HTTPValidationError" not in components["schemas"]
    schemes = components["securitySchemes"]
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values()} == {
        ("apiKey", "header", "Signature"),
        ("apiKey", "header", "Signature-Input"),
    }
    signed_paths = set()
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            problems = {
                status: response
                for status, response in operation["responses"].items()
                if status.startswith(("4", "5"))
            }
            assert problems, where
            for status, response in problems.items():
                content = response.get("content", {})
                assert list(content) == [PROBLEM], f"{where} {status}"
                schema = content[PROBLEM]["schema"]
                assert PROBLEM_REF in {schema.get("$ref")} | {
                    s.get("$ref") for s in schema.get("allOf", [])
                }, f"{where} {status}"
            assert "Allow" in operation["responses"]["405"]["headers"], where
            if operation.get("security"):
                assert operation["security"] == [{"Signature": [], "SignatureInput": []}]
                assert "401" in problems, where
                signed_paths.add(path)
    assert signed_paths == {
        "/v1/records/prepare",
        "/v1/records/prepare-batch",
        "/v1/records/prepare-retraction",
        "/v1/records/prepare-answer",
        "/v1/access",
        "/v1/consents",
        "/v1/consents/{consent_id}/revoke",
        "/v1/benefits/{benefit_id}/eligibility",
        "/v1/people/invitations",
    }


def test_405_carries_allow(consortium: Consortium) -> None:
    with TestClient(consortium.app) as client:
        r = client.delete("/v1/consents")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 405
