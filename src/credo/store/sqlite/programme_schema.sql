-- The credit programme's tables: governance and programme state are derived from the log;
-- scores and score_history are a cache of scoring's pure function (rules, records, as-of time),
-- recomputed by `credo score` and deleted when a person withdraws.

-- derived
CREATE TABLE IF NOT EXISTS proposals (
    id           TEXT PRIMARY KEY,
    proposer     TEXT NOT NULL,
    action       TEXT NOT NULL,
    params       TEXT NOT NULL,
    status       TEXT NOT NULL,        -- open | adopted | rejected
    proposed_idx INTEGER NOT NULL,
    decided_idx  INTEGER
) WITHOUT ROWID;

-- derived
CREATE TABLE IF NOT EXISTS votes (
    proposal_id TEXT NOT NULL,
    member      TEXT NOT NULL,
    vote        TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, member)
) WITHOUT ROWID;

-- derived: every adopted rules document; the current one is the last adopted
CREATE TABLE IF NOT EXISTS rules_docs (
    adopted_idx INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    document    BLOB NOT NULL,
    proposal_id TEXT NOT NULL
);

-- derived
CREATE TABLE IF NOT EXISTS enrolments (
    subject      TEXT PRIMARY KEY,
    enrolled_idx INTEGER NOT NULL,
    enrolled_at  TEXT NOT NULL
) WITHOUT ROWID;

-- derived
CREATE TABLE IF NOT EXISTS disputes (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    statement    TEXT NOT NULL,        -- commitment to the person's statement (kept in the vault)
    opened_idx   INTEGER NOT NULL,
    opened_at    TEXT NOT NULL,
    status       TEXT NOT NULL,        -- open | upheld | amended | retracted | expired
    closed_idx   INTEGER,
    closed_at    TEXT,
    evidence     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS disputes_by_record ON disputes (record_id);
-- every rescoring reads a person's disputes: without it, a scan of all of them
CREATE INDEX IF NOT EXISTS disputes_by_subject ON disputes (subject, opened_idx);

-- one score per person and rules hash: during a change of rules the new rules' scores are
-- filled in beside the served ones, and meta 'serving_rules' names the hash that is served
CREATE TABLE IF NOT EXISTS scores (
    subject   TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    as_of     INTEGER NOT NULL,
    score     INTEGER NOT NULL,
    tier      TEXT NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (subject, rules_hash)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS score_history (
    subject    TEXT NOT NULL,
    as_of      INTEGER NOT NULL,
    rules_hash TEXT NOT NULL,
    score      INTEGER NOT NULL,
    tier       TEXT NOT NULL,
    PRIMARY KEY (subject, as_of)
) WITHOUT ROWID;
