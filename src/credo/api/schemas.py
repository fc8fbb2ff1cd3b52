"""OpenAPI helpers for signed endpoints, whose bodies are parsed only after authentication."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

SIGNATURE_HEADERS = (
    "Every call is signed (RFC 9421, Ed25519) over "
    '"@method" "@path" "content-digest" (and "@query" if there is a query string) with '
    "created, keyid and nonce parameters, and optionally expires."
)

CategoryNames = Annotated[
    list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=16)
]


def signed_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body the route parses itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
        "description": SIGNATURE_HEADERS,
    }
