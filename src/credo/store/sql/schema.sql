-- credo's schema, written once for every backend (credo.store.sql.schema fills in each one's
-- column types: {text} is TEXT, COLLATE "C" in PostgreSQL so that text orders by code point as
-- SQLite's BINARY does; {int} a 64-bit integer; {bytes} BLOB or BYTEA; {without_rowid} is
-- SQLite's clustered-table clause). The log's tables (entry_bundles, tiles, checkpoints) are
-- the source of truth; every table marked "derived" is recreated by `credo rebuild` from the
-- entries.
CREATE TABLE IF NOT EXISTS meta (
    key   {text} PRIMARY KEY,
    value {text} NOT NULL
){without_rowid};

-- The exact stored bytes of each DSSE envelope, 256 to a row as C2SP tlog-tiles entry
-- bundles: row idx holds entries [256*idx, 256*idx + n), each a 2-byte big-endian length and
-- the bytes; only the last row may hold fewer (credo.store._bundles). Leaf i of the tree is
-- SHA-256(0x00 || entry i).
CREATE TABLE IF NOT EXISTS entry_bundles (
    idx  {int} PRIMARY KEY,
    data {bytes} NOT NULL
);

-- C2SP tlog-tiles hash tiles: the concatenated 32-byte hashes at tree level 8*level,
-- indexes [256*idx, 256*idx + width). A partial tile only ever grows.
CREATE TABLE IF NOT EXISTS tiles (
    level  {int} NOT NULL,
    idx    {int} NOT NULL,
    hashes {bytes} NOT NULL,
    PRIMARY KEY (level, idx)
){without_rowid};

-- Every signed checkpoint ever published, in order (seq: the last one's plus one, under the
-- writer's lock, so a rolled-back write leaves no gap as a sequence would).
CREATE TABLE IF NOT EXISTS checkpoints (
    seq          {int} PRIMARY KEY,
    size         {int} NOT NULL,
    note         {bytes} NOT NULL
);

-- No two checkpoints of one size, whoever writes (`WriteTx.add_checkpoint` is also a
-- compare-and-swap on the latest).
CREATE UNIQUE INDEX IF NOT EXISTS checkpoints_size ON checkpoints (size);

-- The sequencer's lease (credo.ledger.lease): the one process that may write the log until
-- expires_at (seconds since 1970 by the database's clock), where the others forward to, and
-- the epoch its writes are fenced with. One row; not derived, not the log's truth.
CREATE TABLE IF NOT EXISTS sequencer_lease (
    id         {int} PRIMARY KEY CHECK (id = 1),
    holder     {text} NOT NULL,
    url        {text} NOT NULL,
    epoch      {int} NOT NULL,
    expires_at {real} NOT NULL
);

-- Witnesses' cosignature lines of the checkpoint of each size (C2SP tlog-cosignature), as
-- credo.services.witnessing collected them. Not derived (a replay cannot ask witnesses to
-- cosign the past again), and not the log's truth either: a client checks each line.
CREATE TABLE IF NOT EXISTS cosignatures (
    size    {int} NOT NULL,
    witness {text} NOT NULL,
    line    {bytes} NOT NULL,
    PRIMARY KEY (size, witness)
){without_rowid};

-- derived
CREATE TABLE IF NOT EXISTS members (
    id           {text} PRIMARY KEY,
    name         {text} NOT NULL,
    sector       {text} NOT NULL,
    roles        {text} NOT NULL,
    public_key   {bytes} NOT NULL,
    key_id       {text} NOT NULL UNIQUE,
    status       {text} NOT NULL,
    admitted_idx {int} NOT NULL
){without_rowid};

-- derived: where each attested document's issuing (and revoking) entry is. The document type,
-- times and reason are read from those entries; keeping this index to ~60 bytes a row keeps
-- its random-key inserts (document digests) cheap, since each one dirties an index page. In
-- PostgreSQL the key is checked at commit unless a transaction asks otherwise (SET CONSTRAINTS
-- ... IMMEDIATE): the sequencer's group commit copies its new digests in at once and learns of
-- a duplicate there.
CREATE TABLE IF NOT EXISTS attestation_index (
    digest      {bytes} NOT NULL,  -- the 32 bytes of the SHA-256 digest
    issuer      {text} NOT NULL,
    issued_idx  {int} NOT NULL,
    revoked_idx {int},
    CONSTRAINT attestation_index_pkey PRIMARY KEY (digest){deferrable}
){without_rowid};
