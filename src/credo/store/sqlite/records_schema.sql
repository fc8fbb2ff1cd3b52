-- People's data on the ledger side: metadata only. No national id and no payload is ever stored
-- here; subjects appear only as the vault's random refs, which the log never carries (its
-- entries hold blinded tags and sealed metadata, opened by the vault on replay). Every table is
-- derived from the log.

-- derived: the current version of each record (put, then amended or retracted)
CREATE TABLE IF NOT EXISTS records (
    record_id    TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    category     TEXT NOT NULL,
    type         TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    commitment   TEXT NOT NULL,        -- salted commitment to the payload (vault checks it)
    vault_key    TEXT NOT NULL,        -- where the sealed payload lives in the vault
    member       TEXT NOT NULL,        -- the submitting member
    status       TEXT NOT NULL,        -- active | retracted | erased
    put_idx      INTEGER NOT NULL,
    updated_idx  INTEGER NOT NULL,
    put_at       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_subject ON records (subject, put_idx);

-- derived: consent artefacts (grant, then possibly revoke)
CREATE TABLE IF NOT EXISTS consents (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    member        TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    categories    TEXT NOT NULL,       -- JSON list
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    granted_idx   INTEGER NOT NULL,
    revoked_idx   INTEGER,
    revoke_reason TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consents_by_subject ON consents (subject, granted_idx);

-- derived: access mandates adopted by the consortium
CREATE TABLE IF NOT EXISTS mandates (
    id              TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    categories      TEXT NOT NULL,     -- JSON list
    members         TEXT NOT NULL,     -- JSON list of member ids
    sectors         TEXT NOT NULL,     -- JSON list of sectors
    legal_reference TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT,
    adopted_idx     INTEGER NOT NULL,
    repealed_idx    INTEGER
) WITHOUT ROWID;

-- derived: every read of a person's records, granted or refused
CREATE TABLE IF NOT EXISTS access (
    idx                  INTEGER PRIMARY KEY,
    at                   TEXT NOT NULL,
    subject              TEXT,         -- NULL when the vault knew no such person
    member               TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    basis                TEXT NOT NULL,  -- consent:<id> | mandate:<id>
    categories_requested TEXT NOT NULL,  -- JSON list
    categories_granted   TEXT NOT NULL,  -- JSON list
    outcome              TEXT NOT NULL,  -- granted | refused
    reason               TEXT NOT NULL,
    record_ids           TEXT NOT NULL,  -- JSON list
    request_digest       TEXT NOT NULL   -- sha256 of the member's signed request
);
CREATE INDEX IF NOT EXISTS access_by_subject ON access (subject, idx);

-- derived: subjects whose keys were destroyed (their refs stay on the log, unlinkable)
CREATE TABLE IF NOT EXISTS erased_subjects (
    subject    TEXT PRIMARY KEY,
    erased_idx INTEGER NOT NULL
) WITHOUT ROWID;

-- derived: every personal entry's tag, and the subject the vault resolved it to (NULL in a
-- replay without the vault's key). A tag is used once; a subject is known once it has a row.
CREATE TABLE IF NOT EXISTS entry_tags (
    tag     TEXT PRIMARY KEY,
    idx     INTEGER NOT NULL,
    subject TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entry_tags_by_subject ON entry_tags (subject, idx);
