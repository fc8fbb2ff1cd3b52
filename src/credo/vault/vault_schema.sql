-- The vault's own database. Not derived from the log and never rebuildable from it: destroying
-- a row here is how a person is forgotten (crypto-shredding), so it lives in its own file.

-- One row: the HKDF-derived check value, so a wrong master key is refused at open.
CREATE TABLE IF NOT EXISTS vault_meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- One row per living subject. The national id itself is never stored: only its keyed HMAC.
-- The ref is random, so once this row is gone nothing links the ref on the log to a person.
CREATE TABLE IF NOT EXISTS subjects (
    ref         TEXT PRIMARY KEY CHECK (length(ref) = 32),
    lookup      BLOB NOT NULL UNIQUE CHECK (length(lookup) = 32),  -- HMAC-SHA256(index key, id)
    wrapped_key BLOB NOT NULL                                      -- nonce || AES-GCM(data key)
);

-- Sealed payloads: version || nonce || AES-256-GCM(salt || payload).
CREATE TABLE IF NOT EXISTS records (
    record_key TEXT PRIMARY KEY CHECK (length(record_key) = 32),
    ref        TEXT NOT NULL REFERENCES subjects(ref) ON DELETE CASCADE,
    blob       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_ref ON records(ref);

-- Tombstones answer is_erased without keeping the ref itself: HMAC(index key, "erased" || ref).
CREATE TABLE IF NOT EXISTS erased (
    tombstone BLOB PRIMARY KEY
);
