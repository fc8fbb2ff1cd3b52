"""The OpenAPI description, completed where FastAPI leaves it short of the truth.

FastAPI describes what routes declare; `complete` adds what the app does around them: the one
problem body schema (`credo.api.problems.PROBLEM_SCHEMA`) in place of FastAPI's own 422 body
(the validation handler answers with a problem), the 405 (with ``Allow``) the router answers
on every path for a method it does not take, the RFC 9421 signature as security schemes, and
the ``$defs`` of request body schemas that signed routes document by hand
(`credo.api.schemas.signed_body`) moved into ``components/schemas``, so every ``$ref`` resolves.
`tests/api/test_openapi_contract.py` holds the app to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from credo.api.auth import MAX_SKEW_SECONDS
from credo.api.problems import MEANINGS, PROBLEM, PROBLEM_REF, PROBLEM_SCHEMA

_SIGNING = (
    "RFC 9421 HTTP Message Signature with the member's Ed25519 key: a `Signature-Input` of one "
    'signature labelled `sig1` covering `"@method" "@path" "content-digest"` (and `"@query"` '
    "when the request has a query string), in the order declared, with parameters `created` "
    f"(UNIX time, within {MAX_SKEW_SECONDS} s), `keyid` (the member's key id), `nonce` "
    "(16-128 URL-safe characters, never accepted twice), optionally `expires`, and "
    '`alg="ed25519"`; '
    "a `Content-Digest` header (RFC 9530, `sha-256`) of the exact body; and `Signature` "
    "(`sig1=:<base64>:`) over the RFC 9421 signature base. Both headers are needed together. "
    "`credo.api.httpsig.sign_request` builds all three."
)
SECURITY_SCHEMES: dict[str, Any] = {
    "Signature": {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": "The signature value. " + _SIGNING,
    },
    "SignatureInput": {
        "type": "apiKey",
        "in": "header",
        "name": "Signature-Input",
        "description": "What the signature covers, and its parameters. " + _SIGNING,
    },
}
# Both headers together (one requirement object holds an AND of schemes).
SIGNED: list[dict[str, list[str]]] = [{"Signature": [], "SignatureInput": []}]

_DEFS = "#/$defs/"
_COMPONENT = "#/components/schemas/"
_FASTAPI_422 = {"HTTPValidationError", "ValidationError"}
METHOD_NOT_ALLOWED: dict[str, Any] = {
    "description": MEANINGS[405],
    "headers": {
        "Allow": {
            "description": "the methods the path takes",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}},
}


class CredoAPI(FastAPI):
    """FastAPI whose OpenAPI description is `complete`d."""

    def openapi(self) -> dict[str, Any]:
        spec = super().openapi()  # cached (and rebuilt when routes change) by FastAPI
        if "Problem" not in spec.get("components", {}).get("schemas", {}):
            complete(spec)
        return spec


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """Complete FastAPI's description in place (see the module doc); returns it."""
    components = spec.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    _hoist_defs(spec["paths"], schemas)
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    for operations in spec["paths"].values():
        for operation in operations.values():
            responses: dict[str, Any] = operation["responses"]
            for status, response in responses.items():
                if _refers_to(response, _FASTAPI_422):
                    responses[status] = {
                        "description": MEANINGS[422],
                        "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}},
                    }
            responses.setdefault("405", METHOD_NOT_ALLOWED)
    return spec


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> None:
    """Move every ``$defs`` under ``node`` into ``schemas``, pointing its refs there."""
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two different schemas are both called {name!r}")
            _hoist_defs(schema, schemas)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            node["$ref"] = _COMPONENT + ref.removeprefix(_DEFS)
        for value in node.values():
            _hoist_defs(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _hoist_defs(value, schemas)


def _refers_to(node: Any, names: set[str]) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(_COMPONENT) in names:
            return True
        return any(_refers_to(v, names) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, names) for v in node)
    return False
