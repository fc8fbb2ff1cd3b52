-- credo's PostgreSQL schema, table for table and column for column the SQLite one (../sqlite):
-- the log's tables (entry_bundles, tiles, checkpoints) are the source of truth; every table
-- marked "derived" is recreated by `credo rebuild` from the entries. Text is COLLATE "C" so
-- that ordering compares code points, as SQLite's BINARY does, whatever the database's locale.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

-- The exact stored bytes of each DSSE envelope, 256 to a row as C2SP tlog-tiles entry
-- bundles: row idx holds entries [256*idx, 256*idx + n), each a 2-byte big-endian length and
-- the bytes; only the last row may hold fewer (credo.store._bundles).
CREATE TABLE IF NOT EXISTS entry_bundles (
    idx  BIGINT PRIMARY KEY,
    data BYTEA NOT NULL
);

-- C2SP tlog-tiles hash tiles: the concatenated 32-byte hashes at tree level 8*level,
-- indexes [256*idx, 256*idx + width). A partial tile only ever grows.
CREATE TABLE IF NOT EXISTS tiles (
    level  BIGINT NOT NULL,
    idx    BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Every signed checkpoint ever published, in order (seq: the last one's plus one, under the
-- writer's lock, so a rolled-back write leaves no gap as a sequence would).
CREATE TABLE IF NOT EXISTS checkpoints (
    seq  BIGINT PRIMARY KEY,
    size BIGINT NOT NULL,
    note BYTEA NOT NULL
);

-- No two checkpoints of one size, whoever writes (`WriteTx.add_checkpoint` is also a
-- compare-and-swap on the latest).
CREATE UNIQUE INDEX IF NOT EXISTS checkpoints_size ON checkpoints (size);

-- The sequencer's lease (credo.ledger.lease): the one process that may write the log until
-- expires_at (seconds since 1970 by the database's clock), where the others forward to, and
-- the epoch its writes are fenced with. One row; not derived, not the log's truth.
CREATE TABLE IF NOT EXISTS sequencer_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT COLLATE "C" NOT NULL,
    url        TEXT COLLATE "C" NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);

-- Witnesses' cosignature lines of the checkpoint of each size (C2SP tlog-cosignature): not
-- derived (a replay cannot ask witnesses to cosign the past again); a client checks each line.
CREATE TABLE IF NOT EXISTS cosignatures (
    size    BIGINT NOT NULL,
    witness TEXT COLLATE "C" NOT NULL,
    line    BYTEA NOT NULL,
    PRIMARY KEY (size, witness)
);

-- derived
CREATE TABLE IF NOT EXISTS members (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    sector       TEXT COLLATE "C" NOT NULL,
    roles        TEXT COLLATE "C" NOT NULL,  -- JSON list, as SQLite stores it
    public_key   BYTEA NOT NULL,
    key_id       TEXT COLLATE "C" NOT NULL UNIQUE,
    status       TEXT COLLATE "C" NOT NULL,
    admitted_idx BIGINT NOT NULL
);

-- derived: where each attested document's issuing (and revoking) entry is. The key is
-- checked at commit unless a transaction asks otherwise (SET CONSTRAINTS ... IMMEDIATE): the
-- sequencer's group commit copies its new digests in at once and learns of a duplicate there.
CREATE TABLE IF NOT EXISTS attestation_index (
    digest      BYTEA NOT NULL,  -- the 32 bytes of the SHA-256 digest
    issuer      TEXT COLLATE "C" NOT NULL,
    issued_idx  BIGINT NOT NULL,
    revoked_idx BIGINT,
    CONSTRAINT attestation_index_pkey PRIMARY KEY (digest) DEFERRABLE INITIALLY DEFERRED
);
