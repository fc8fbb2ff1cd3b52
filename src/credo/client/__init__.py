"""credo.client: what a member organization runs on its own host, with its own key.

`MemberClient` signs requests (RFC 9421) and entries (DSSE) with the member's key, submits,
reads a person's records under a purpose and a basis, and fetches entries with their
inclusion proofs, which it verifies against the log's signed checkpoint itself.
"""

from credo.client.member import LoggedEntry, MemberClient, RecordRequest, Submitted

__all__ = ["LoggedEntry", "MemberClient", "RecordRequest", "Submitted"]
