"""OpenAPI helpers for signed endpoints, whose bodies are parsed only after authentication."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from credo.api.openapi import SIGNED
from credo.api.problems import problem_responses

SIGNATURE_HEADERS = (
    "Every call is signed (RFC 9421, Ed25519) over "
    '"@method" "@path" "content-digest" (and "@query" if there is a query string) with '
    "created, keyid and nonce parameters, and optionally expires."
)

CategoryNames = Annotated[
    list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=16)
]


def signed_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` of a signed route: its security, and the JSON request body it parses
    itself (the schema's ``$defs`` are moved to components by `credo.api.openapi.complete`)."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
        "description": SIGNATURE_HEADERS,
        "security": SIGNED,
    }


# What every signed route can answer besides its own: refusals of the signature and of the
# body (malformed JSON, or not the documented shape: 400 bad_request), a body over 64 KiB or
# stalled, and a store failure. Routes add their own (403, 404, 409, 422) to these.
SIGNED_PROBLEMS = (400, 401, 408, 413, 503)


def signed_responses(*statuses: int, notes: dict[int, str] | None = None) -> dict[int | str, Any]:
    """``responses`` of a signed route: `SIGNED_PROBLEMS` and ``statuses``, as problems."""
    return problem_responses(*sorted({*SIGNED_PROBLEMS, *statuses}), notes=notes)
