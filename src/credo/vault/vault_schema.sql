-- The vault's own tables. Not derived from the log and never rebuildable from it: destroying
-- a row here is how a person is forgotten (crypto-shredding), so they never share a file with
-- the ledger (on SQLite, DIR/vault.db; on PostgreSQL, tables of their own beside the
-- ledger's, vault_*). Type names are filled in per backend (credo.store.sql.schema.Types).

-- One row: the HKDF-derived check value, so a wrong master key is refused at open.
CREATE TABLE IF NOT EXISTS vault_meta (
    key   {text} PRIMARY KEY,
    value {bytes} NOT NULL
);

-- One row per living subject. The national id itself is never stored: only its keyed HMAC.
-- The ref is random, so once this row is gone nothing links the ref on the log to a person.
CREATE TABLE IF NOT EXISTS vault_subjects (
    ref         {text} PRIMARY KEY CHECK (length(ref) = 32),
    lookup      {bytes} NOT NULL UNIQUE CHECK (length(lookup) = 32),  -- HMAC-SHA256(index key, id)
    wrapped_key {bytes} NOT NULL                                      -- nonce || AES-GCM(data key)
);

-- Sealed payloads: version || nonce || AES-256-GCM(salt || payload).
CREATE TABLE IF NOT EXISTS vault_records (
    record_key {text} PRIMARY KEY CHECK (length(record_key) = 32),
    ref        {text} NOT NULL REFERENCES vault_subjects(ref) ON DELETE CASCADE,
    blob       {bytes} NOT NULL
);
CREATE INDEX IF NOT EXISTS vault_records_by_ref ON vault_records(ref);

-- Tombstones answer is_erased without keeping the ref itself: HMAC(index key, "erased" || ref).
CREATE TABLE IF NOT EXISTS vault_erased (
    tombstone {bytes} PRIMARY KEY
);
