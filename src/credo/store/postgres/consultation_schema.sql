-- Public consultations (credo.ledger.kinds.consultations), as ../sqlite/consultation_schema.sql. consultations and
-- consultation_decisions come from the consortium's own entries; the rest from personal
-- entries (political opinions: read by the operator's services only).

-- derived
CREATE TABLE IF NOT EXISTS consultations (
    id          TEXT COLLATE "C" PRIMARY KEY,
    convener    TEXT COLLATE "C" NOT NULL,
    question    TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    opens_at    TEXT COLLATE "C" NOT NULL,
    closes_at   TEXT COLLATE "C" NOT NULL,
    moderation  TEXT COLLATE "C" NOT NULL,
    proposal    TEXT COLLATE "C",
    moderators  TEXT COLLATE "C" NOT NULL,
    opened_idx  BIGINT NOT NULL,
    closed_idx  BIGINT,
    closed_at   TEXT COLLATE "C"
);

-- derived
CREATE TABLE IF NOT EXISTS consultation_decisions (
    idx          BIGINT PRIMARY KEY,
    consultation TEXT COLLATE "C" NOT NULL,
    item         TEXT COLLATE "C" NOT NULL,
    decision     TEXT COLLATE "C" NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL,
    moderator    TEXT COLLATE "C" NOT NULL,
    at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_decisions_by_consultation
    ON consultation_decisions (consultation, idx);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_statements (
    id            TEXT COLLATE "C" PRIMARY KEY,
    consultation  TEXT COLLATE "C" NOT NULL,
    participant   TEXT COLLATE "C" NOT NULL,
    lang          TEXT COLLATE "C" NOT NULL,
    text          TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL,
    submitted_idx BIGINT NOT NULL,
    submitted_at  TEXT COLLATE "C" NOT NULL,
    agree         BIGINT NOT NULL,
    disagree      BIGINT NOT NULL,
    passes        BIGINT NOT NULL,
    flags         BIGINT NOT NULL,
    reason        TEXT COLLATE "C",
    decided_at    TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS consultation_statements_by_consultation
    ON consultation_statements (consultation, status);
CREATE INDEX IF NOT EXISTS consultation_statements_by_participant
    ON consultation_statements (participant);

-- derived, personal: one current vote per participant and statement
CREATE TABLE IF NOT EXISTS consultation_votes (
    statement    TEXT COLLATE "C" NOT NULL,
    participant  TEXT COLLATE "C" NOT NULL,
    consultation TEXT COLLATE "C" NOT NULL,
    vote         TEXT COLLATE "C" NOT NULL,
    shown        TEXT COLLATE "C" NOT NULL,
    idx          BIGINT NOT NULL,
    at           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (statement, participant)
);
CREATE INDEX IF NOT EXISTS consultation_votes_by_participant
    ON consultation_votes (participant, consultation);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_flags (
    statement    TEXT COLLATE "C" NOT NULL,
    consultation TEXT COLLATE "C" NOT NULL,
    participant  TEXT COLLATE "C" NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL,
    idx          BIGINT NOT NULL,
    PRIMARY KEY (statement, participant)
);
CREATE INDEX IF NOT EXISTS consultation_flags_by_participant
    ON consultation_flags (participant);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_translations (
    id           TEXT COLLATE "C" PRIMARY KEY,
    statement    TEXT COLLATE "C" NOT NULL,
    consultation TEXT COLLATE "C" NOT NULL,
    lang         TEXT COLLATE "C" NOT NULL,
    text         TEXT COLLATE "C" NOT NULL,
    translator   TEXT COLLATE "C" NOT NULL,
    participant  TEXT COLLATE "C",
    status       TEXT COLLATE "C" NOT NULL,
    idx          BIGINT NOT NULL,
    at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_translations_by_consultation
    ON consultation_translations (consultation, idx);
CREATE INDEX IF NOT EXISTS consultation_translations_by_statement
    ON consultation_translations (statement, idx);

-- derived, personal: whom each per-consultation participant id stands for (erasure)
CREATE TABLE IF NOT EXISTS consultation_participants (
    consultation TEXT COLLATE "C" NOT NULL,
    participant  TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (consultation, participant)
);
CREATE INDEX IF NOT EXISTS consultation_participants_by_subject
    ON consultation_participants (subject);
