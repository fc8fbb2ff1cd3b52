-- People's data on the ledger side (as ../sqlite/records_schema.sql): metadata only, subjects
-- only as the vault's random refs. Every table is derived from the log.

-- derived: the current version of each record (put, then amended or retracted)
CREATE TABLE IF NOT EXISTS records (
    record_id    TEXT COLLATE "C" PRIMARY KEY,
    subject      TEXT COLLATE "C" NOT NULL,
    category     TEXT COLLATE "C" NOT NULL,
    type         TEXT COLLATE "C" NOT NULL,
    effective_at TEXT COLLATE "C" NOT NULL,
    commitment   TEXT COLLATE "C" NOT NULL,
    vault_key    TEXT COLLATE "C" NOT NULL,
    member       TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,  -- active | retracted | erased
    put_idx      BIGINT NOT NULL,
    updated_idx  BIGINT NOT NULL,
    put_at       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_subject ON records (subject, put_idx);

-- derived: consent artefacts (grant, then possibly revoke)
CREATE TABLE IF NOT EXISTS consents (
    id            TEXT COLLATE "C" PRIMARY KEY,
    subject       TEXT COLLATE "C" NOT NULL,
    member        TEXT COLLATE "C" NOT NULL,
    purpose       TEXT COLLATE "C" NOT NULL,
    categories    TEXT COLLATE "C" NOT NULL,  -- JSON list
    valid_from    TEXT COLLATE "C" NOT NULL,
    valid_until   TEXT COLLATE "C" NOT NULL,
    granted_idx   BIGINT NOT NULL,
    revoked_idx   BIGINT,
    revoke_reason TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS consents_by_subject ON consents (subject, granted_idx);

-- derived: access mandates adopted by the consortium
CREATE TABLE IF NOT EXISTS mandates (
    id              TEXT COLLATE "C" PRIMARY KEY,
    purpose         TEXT COLLATE "C" NOT NULL,
    categories      TEXT COLLATE "C" NOT NULL,  -- JSON list
    members         TEXT COLLATE "C" NOT NULL,  -- JSON list of member ids
    sectors         TEXT COLLATE "C" NOT NULL,  -- JSON list of sectors
    legal_reference TEXT COLLATE "C" NOT NULL,
    valid_from      TEXT COLLATE "C" NOT NULL,
    valid_until     TEXT COLLATE "C",
    adopted_idx     BIGINT NOT NULL,
    repealed_idx    BIGINT
);

-- derived: every read of a person's records, granted or refused
CREATE TABLE IF NOT EXISTS access (
    idx                  BIGINT PRIMARY KEY,
    at                   TEXT COLLATE "C" NOT NULL,
    subject              TEXT COLLATE "C",  -- NULL when the vault knew no such person
    member               TEXT COLLATE "C" NOT NULL,
    purpose              TEXT COLLATE "C" NOT NULL,
    basis                TEXT COLLATE "C" NOT NULL,
    categories_requested TEXT COLLATE "C" NOT NULL,  -- JSON list
    categories_granted   TEXT COLLATE "C" NOT NULL,  -- JSON list
    outcome              TEXT COLLATE "C" NOT NULL,  -- granted | refused
    reason               TEXT COLLATE "C" NOT NULL,
    record_ids           TEXT COLLATE "C" NOT NULL,  -- JSON list
    request_digest       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS access_by_subject ON access (subject, idx);

-- derived: subjects whose keys were destroyed (their refs stay on the log, unlinkable)
CREATE TABLE IF NOT EXISTS erased_subjects (
    subject    TEXT COLLATE "C" PRIMARY KEY,
    erased_idx BIGINT NOT NULL
);

-- derived: every personal entry's tag, and the subject the vault resolved it to (NULL in a
-- replay without the vault's key). A tag is used once.
CREATE TABLE IF NOT EXISTS entry_tags (
    tag     TEXT COLLATE "C" PRIMARY KEY,
    idx     BIGINT NOT NULL,
    subject TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS entry_tags_by_subject ON entry_tags (subject, idx);
