"""credo.vault: people's payloads under per-subject keys, and erasure by crypto-shredding.

Knows nothing of scoring, HTTP or the log; the log carries only subject refs and commitments.
"""

from credo.vault.keys import MasterKey, generate_master_key_file, load_master_key
from credo.vault.vault import (
    MAX_CONTEXT_BYTES,
    MAX_PAYLOAD_BYTES,
    Sealed,
    Vault,
    normalize_national_id,
)

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_PAYLOAD_BYTES",
    "MasterKey",
    "Sealed",
    "Vault",
    "generate_master_key_file",
    "load_master_key",
    "normalize_national_id",
]
