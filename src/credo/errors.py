"""Every error credo raises on purpose, so callers can catch by meaning, not by library.

The hierarchy (httpx's habit: one module, the tree drawn here)::

    CredoError
    ├── VerificationError      a proof, signature, checkpoint or stored hash does not check out
    ├── InputError             a caller sent something malformed or not allowed (HTTP 400/422)
    │   ├── EntryRejected      a log submission refused before sequencing, with a reason code
    │   │   └── UnjustifiedAccess  an access entry its basis does not justify (any longer)
    │   ├── RulesRejected      a rules document refused at adoption, with a reason code
    │   ├── PayloadTooLarge    a record's payload over the vault's limit (HTTP 413)
    │   ├── BodyTooLarge       a signed request body over the API's limit (HTTP 413)
    │   └── DuplicateKey       JSON with a key twice, which parsers read differently
    ├── AuthenticationError    the caller is not who it claims, or did not say (HTTP 401)
    ├── PermissionDenied       the caller is known but may not do this (HTTP 403)
    ├── NotFound               the thing asked for does not exist (HTTP 404)
    ├── Conflict               the request contradicts current state (HTTP 409)
    │   ├── DeferredConflict   a uniqueness check deferred to commit failed; nothing was written
    │   └── OldSizeMismatch    a witness's old size is not its latest cosigned one
    ├── RateLimited            too many of these from this caller, or about this person (HTTP 429)
    ├── StoreError             the storage backend failed; the library error is its __cause__
    ├── Unavailable            not now, through no fault of the request (HTTP 503)
    │   └── NotSequencer       another process holds the sequencer's lease
    ├── LogUnavailable         a mirror's or auditor's log did not answer (HTTP 503)
    └── Interrupted            a mirror's copy was told to stop, keeping what it verified

Two more are the portal's signals to its own pages, never answers of the API:
``SignInRequired`` (send the visitor to sign in) and ``BadForm`` (a form it did not serve).

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


class UnjustifiedAccess(EntryRejected):
    """An access entry grants what its basis does not give, or opens a record it may not:
    a read judged on state that changed before its entry was sequenced is refused so, and
    may be judged again (`credo.services.reads`)."""

    code = "unjustified_access"


REJECTIONS: dict[str, type[EntryRejected]] = {"unjustified_access": UnjustifiedAccess}
"""The reason codes refused as a subclass of `EntryRejected`, for `rejected`."""


def rejected(message: str, code: str) -> EntryRejected:
    """A refusal rebuilt from its reason code after crossing a boundary (a validation worker,
    a forwarded submission), as the class it was raised as, so callers catch by class."""
    return REJECTIONS.get(code, EntryRejected)(message, code=code)


class PayloadTooLarge(InputError):
    code = "payload_too_large"
    status = 413


class BodyTooLarge(InputError):
    code = "body_too_large"
    status = 413


class DuplicateKey(InputError):
    code = "duplicate_key"


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


class OldSizeMismatch(Conflict):
    """409: a witness's old size line is not the latest cosigned size, which ``size`` holds."""

    code = "old_size_mismatch"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_mismatch, (self.message, self.size))


def _rebuild_mismatch(message: str, size: int) -> OldSizeMismatch:
    return OldSizeMismatch(message, size=size)


class DeferredConflict(Conflict):
    """A uniqueness check deferred to commit failed, so the transaction was rolled back;
    which row broke it is not known (`credo.store.protocols.Store.write`)."""

    code = "deferred_conflict"


class StoreError(CredoError):
    code = "store_error"
    status = 503


class RateLimited(CredoError):
    """Too many requests of one kind from one caller (or about one person) in a while: a
    consultation's statements, enrolment codes, code attempts, passkey ceremonies. Nothing
    was done; ``retry_after`` says in how many seconds one more is allowed."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(CredoError):
    """Not now, through no fault of the request: try again shortly."""

    code = "unavailable"
    status = 503


class Overloaded(Unavailable):
    """A serving process at capacity did nothing with the request (`credo.api.admission`);
    ``retry_after`` says in how many seconds to send it again."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotSequencer(Unavailable):
    """This process may not write the log now: another holds the sequencer's lease, or its
    own expired (`credo.ledger.lease`). Nothing was written; the submission may be sent to
    the active sequencer, or again once this process holds the lease."""

    code = "not_sequencer"


class LogUnavailable(CredoError):
    """The log did not answer, or not with 200: nothing was verified, nothing changes."""

    code = "log_unavailable"
    status = 503

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class Interrupted(CredoError):
    """`credo.mirror.follow.Mirror.interrupt` was set: the copy stopped after keeping what it
    had verified."""

    code = "interrupted"


class SignInRequired(Exception):
    """The portal's page is for a signed-in person and the request has no live session."""


class BadForm(Exception):
    """A form the portal did not serve (no or a wrong CSRF token) or one it cannot read."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
