"""credo.vault: people's payloads under per-subject keys, and erasure by crypto-shredding.

Knows nothing of scoring, HTTP or the log; the log carries only blinded tags, sealed
metadata and commitments, which only this vault can resolve and open.
"""

from credo.vault._sealing import meta_commitment
from credo.vault.keys import MasterKey, generate_master_key_file, load_master_key
from credo.vault.vault import (
    MAX_CONTEXT_BYTES,
    MAX_PAYLOAD_BYTES,
    OpenedMeta,
    Sealed,
    SealedEntry,
    SealedMeta,
    Vault,
    canonical_meta,
    normalize_national_id,
)

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_PAYLOAD_BYTES",
    "MasterKey",
    "OpenedMeta",
    "Sealed",
    "SealedEntry",
    "SealedMeta",
    "Vault",
    "canonical_meta",
    "generate_master_key_file",
    "load_master_key",
    "meta_commitment",
    "normalize_national_id",
]
