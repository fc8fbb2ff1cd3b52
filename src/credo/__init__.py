"""credo: a consortium ledger on a verifiable log, and an opt-in civic credit programme.

The package's surface is its errors (`credo.errors`: catch by meaning, not by library) and
its version; everything else is reached through its layer (`credo.services`, `credo.api`,
`credo.client`, ...). `tests/test_init.py` checks that ``__all__`` names every public name.
"""

from credo.errors import (
    AuthenticationError,
    BodyTooLarge,
    Conflict,
    CredoError,
    DeferredConflict,
    DuplicateKey,
    EntryRejected,
    InputError,
    Interrupted,
    LogUnavailable,
    NotFound,
    NotSequencer,
    OldSizeMismatch,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RulesRejected,
    StoreError,
    Unavailable,
    UnjustifiedAccess,
    VerificationError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BodyTooLarge",
    "Conflict",
    "CredoError",
    "DeferredConflict",
    "DuplicateKey",
    "EntryRejected",
    "InputError",
    "Interrupted",
    "LogUnavailable",
    "NotFound",
    "NotSequencer",
    "OldSizeMismatch",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RulesRejected",
    "StoreError",
    "Unavailable",
    "UnjustifiedAccess",
    "VerificationError",
    "__version__",
]
