"""Every error credo raises on purpose, so callers can catch by meaning, not by library.

The hierarchy (httpx's habit: one module, the tree drawn here)::

    CredoError
    ├── VerificationError      a proof, signature, checkpoint or stored hash does not check out
    ├── InputError             a caller sent something malformed or not allowed (HTTP 400/422)
    │   ├── EntryRejected      a log submission refused before sequencing, with a reason code
    │   └── RulesRejected      a rules document refused at adoption, with a reason code
    ├── AuthenticationError    the caller is not who it claims, or did not say (HTTP 401)
    ├── PermissionDenied       the caller is known but may not do this (HTTP 403)
    ├── NotFound               the thing asked for does not exist (HTTP 404)
    ├── Conflict               the request contradicts current state (HTTP 409)
    │   └── DeferredConflict   a uniqueness check deferred to commit failed; nothing was written
    └── StoreError             the storage backend failed; the library error is its __cause__

Library and database exceptions are converted at the layer boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class CredoError(Exception):
    """Base of every error credo raises on purpose.

    ``code`` is a short machine-readable reason (``snake_case``) that the API puts in its
    problem body; the message is for people.
    """

    code: str = "error"
    status: int = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __reduce__(self) -> tuple[object, ...]:
        """Keep ``code`` when an error crosses a process boundary (validation workers)."""
        return (self.__class__, (self.message,), {"code": self.code})

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class VerificationError(CredoError):
    """A proof, signature, checkpoint or stored hash failed to verify.

    The message says what was expected and what was computed.
    """

    code = "verification_failed"
    status = 422


class InputError(CredoError):
    code = "bad_input"
    status = 400


class EntryRejected(InputError):
    code = "entry_rejected"
    status = 422


class RulesRejected(InputError):
    code = "rules_rejected"
    status = 422


class AuthenticationError(CredoError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(CredoError):
    code = "forbidden"
    status = 403


class NotFound(CredoError):
    code = "not_found"
    status = 404


class Conflict(CredoError):
    code = "conflict"
    status = 409


class DeferredConflict(Conflict):
    """A uniqueness check deferred to commit failed, so the transaction was rolled back;
    which row broke it is not known (`credo.store.protocols.Store.write`)."""

    code = "deferred_conflict"


class StoreError(CredoError):
    code = "store_error"
    status = 503


class Unavailable(CredoError):
    """Not now, through no fault of the request: try again shortly."""

    code = "unavailable"
    status = 503


class NotSequencer(Unavailable):
    """This process may not write the log now: another holds the sequencer's lease, or its
    own expired (`credo.ledger.lease`). Nothing was written; the submission may be sent to
    the active sequencer, or again once this process holds the lease."""

    code = "not_sequencer"


class RateLimited(CredoError):
    """Too many requests of one kind from one person in a while (say, statements in a
    consultation): nothing was written; try again later."""

    code = "rate_limited"
    status = 429
