-- The credit programme's tables (as ../sqlite/programme_schema.sql): governance and programme
-- state are derived from the log; scores and score_history are a cache of scoring's pure
-- function, recomputed by `credo score` and deleted when a person withdraws.

-- derived
CREATE TABLE IF NOT EXISTS proposals (
    id           TEXT COLLATE "C" PRIMARY KEY,
    proposer     TEXT COLLATE "C" NOT NULL,
    action       TEXT COLLATE "C" NOT NULL,
    params       TEXT COLLATE "C" NOT NULL,  -- JSON, as SQLite stores it
    status       TEXT COLLATE "C" NOT NULL,  -- open | adopted | rejected
    proposed_idx BIGINT NOT NULL,
    decided_idx  BIGINT
);

-- derived
CREATE TABLE IF NOT EXISTS votes (
    proposal_id TEXT COLLATE "C" NOT NULL,
    member      TEXT COLLATE "C" NOT NULL,
    vote        TEXT COLLATE "C" NOT NULL,
    idx         BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, member)
);

-- derived: every adopted rules document; the current one is the last adopted
CREATE TABLE IF NOT EXISTS rules_docs (
    adopted_idx BIGINT PRIMARY KEY,
    hash        TEXT COLLATE "C" NOT NULL,
    document    BYTEA NOT NULL,
    proposal_id TEXT COLLATE "C" NOT NULL
);

-- derived
CREATE TABLE IF NOT EXISTS enrolments (
    subject      TEXT COLLATE "C" PRIMARY KEY,
    enrolled_idx BIGINT NOT NULL,
    enrolled_at  TEXT COLLATE "C" NOT NULL
);

-- derived
CREATE TABLE IF NOT EXISTS disputes (
    id           TEXT COLLATE "C" PRIMARY KEY,
    record_id    TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    statement    TEXT COLLATE "C" NOT NULL,
    opened_idx   BIGINT NOT NULL,
    opened_at    TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    closed_idx   BIGINT,
    closed_at    TEXT COLLATE "C",
    evidence     TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS disputes_by_record ON disputes (record_id);
CREATE INDEX IF NOT EXISTS disputes_by_subject ON disputes (subject, opened_idx);

-- one score per person and rules hash: during a change of rules the new rules' scores are
-- filled in beside the served ones, and meta 'serving_rules' names the hash that is served
CREATE TABLE IF NOT EXISTS scores (
    subject    TEXT COLLATE "C" NOT NULL,
    rules_hash TEXT COLLATE "C" NOT NULL,
    as_of      BIGINT NOT NULL,
    score      BIGINT NOT NULL,
    tier       TEXT COLLATE "C" NOT NULL,
    doc        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subject, rules_hash)
);

CREATE TABLE IF NOT EXISTS score_history (
    subject    TEXT COLLATE "C" NOT NULL,
    as_of      BIGINT NOT NULL,
    rules_hash TEXT COLLATE "C" NOT NULL,
    score      BIGINT NOT NULL,
    tier       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subject, as_of)
);
