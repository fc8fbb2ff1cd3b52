-- credo's SQLite schema. The log's tables (entry_bundles, tiles, checkpoints) are the source of truth;
-- every table marked "derived" is recreated by `credo rebuild` from the entries.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The exact stored bytes of each DSSE envelope, 256 to a row as C2SP tlog-tiles entry
-- bundles: row idx holds entries [256*idx, 256*idx + n), each a 2-byte big-endian length and
-- the bytes; only the last row may hold fewer (credo.store._bundles). Leaf i of the tree is
-- SHA-256(0x00 || entry i).
CREATE TABLE IF NOT EXISTS entry_bundles (
    idx  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);

-- C2SP tlog-tiles hash tiles: the concatenated 32-byte hashes at tree level 8*level,
-- indexes [256*idx, 256*idx + width). A partial tile only ever grows.
CREATE TABLE IF NOT EXISTS tiles (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Every signed checkpoint ever published, in order.
CREATE TABLE IF NOT EXISTS checkpoints (
    seq          INTEGER PRIMARY KEY,
    size         INTEGER NOT NULL,
    note         BLOB NOT NULL
);

-- No two checkpoints of one size, whoever writes (`WriteTx.add_checkpoint` is also a
-- compare-and-swap on the latest).
CREATE UNIQUE INDEX IF NOT EXISTS checkpoints_size ON checkpoints (size);

-- The sequencer's lease (credo.ledger.lease): the one process that may write the log until
-- expires_at (seconds since 1970 by the database's clock), where the others forward to, and
-- the epoch its writes are fenced with. One row; not derived, not the log's truth.
CREATE TABLE IF NOT EXISTS sequencer_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    url        TEXT NOT NULL,
    epoch      INTEGER NOT NULL,
    expires_at REAL NOT NULL
);

-- Witnesses' cosignature lines of the checkpoint of each size (C2SP tlog-cosignature), as
-- credo.services.witnessing collected them. Not derived (a replay cannot ask witnesses to
-- cosign the past again), and not the log's truth either: a client checks each line.
CREATE TABLE IF NOT EXISTS cosignatures (
    size    INTEGER NOT NULL,
    witness TEXT NOT NULL,
    line    BLOB NOT NULL,
    PRIMARY KEY (size, witness)
) WITHOUT ROWID;

-- derived
CREATE TABLE IF NOT EXISTS members (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    sector       TEXT NOT NULL,
    roles        TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    key_id       TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    admitted_idx INTEGER NOT NULL
) WITHOUT ROWID;

-- derived: where each attested document's issuing (and revoking) entry is. The document type,
-- times and reason are read from those entries; keeping this index to ~60 bytes a row keeps
-- its random-key inserts (document digests) cheap, since each one dirties an index page.
CREATE TABLE IF NOT EXISTS attestation_index (
    digest      BLOB PRIMARY KEY,  -- the 32 bytes of the SHA-256 digest
    issuer      TEXT NOT NULL,
    issued_idx  INTEGER NOT NULL,
    revoked_idx INTEGER
) WITHOUT ROWID;
