"""credo.tlog: the verifiable log core, pure functions over bytes.

RFC 9162 Merkle trees and proofs, C2SP tlog-tiles layout, C2SP signed-note, tlog-checkpoint,
tlog-cosignature (v1, Ed25519) and tlog-policy. Knows nothing about what an entry means and
does no I/O.
"""

from credo.tlog.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from credo.tlog.cosignature import (
    Cosignature,
    CosignatureSigner,
    CosignatureVerifier,
    open_cosigned_checkpoint,
    verify_cosignatures,
)
from credo.tlog.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    HashReader,
    MemoryHashReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from credo.tlog.note import (
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    generate_signer,
    key_id,
    open_note,
    parse_note,
    sign_note,
    split_vkey,
)
from credo.tlog.policy import Policy, parse_policy
from credo.tlog.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileHashReader,
    append_leaves,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    parse_tile_path,
    tile_path,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Checkpoint",
    "Cosignature",
    "CosignatureSigner",
    "CosignatureVerifier",
    "HashReader",
    "MemoryHashReader",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "Policy",
    "TileHashReader",
    "add_signatures",
    "append_leaves",
    "consistency_proof",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "entries_path",
    "generate_signer",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_cosigned_checkpoint",
    "open_note",
    "parse_note",
    "parse_policy",
    "parse_tile_path",
    "root_from_leaf_hashes",
    "sign_checkpoint",
    "sign_note",
    "split_vkey",
    "tile_path",
    "tree_root",
    "verify_consistency",
    "verify_cosignatures",
    "verify_inclusion",
]
