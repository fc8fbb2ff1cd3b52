"""credo: a consortium ledger on a verifiable log, and an opt-in civic credit programme."""

from credo.errors import (
    AuthenticationError,
    Conflict,
    CredoError,
    EntryRejected,
    InputError,
    NotFound,
    PermissionDenied,
    RulesRejected,
    StoreError,
    VerificationError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Conflict",
    "CredoError",
    "EntryRejected",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "RulesRejected",
    "StoreError",
    "VerificationError",
    "__version__",
]
