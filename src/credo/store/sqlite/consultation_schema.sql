-- Public consultations (credo.ledger.kinds.consultations). consultations and
-- consultation_decisions come from the consortium's own entries; the rest from personal
-- entries (political opinions: read by the operator's services only).

-- derived
CREATE TABLE IF NOT EXISTS consultations (
    id          TEXT PRIMARY KEY,
    convener    TEXT NOT NULL,
    question    TEXT NOT NULL,
    description TEXT NOT NULL,
    opens_at    TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    moderation  TEXT NOT NULL,
    proposal    TEXT,
    moderators  TEXT NOT NULL,
    opened_idx  INTEGER NOT NULL,
    closed_idx  INTEGER,
    closed_at   TEXT
) WITHOUT ROWID;

-- derived
CREATE TABLE IF NOT EXISTS consultation_decisions (
    idx          INTEGER PRIMARY KEY,
    consultation TEXT NOT NULL,
    item         TEXT NOT NULL,
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    moderator    TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_decisions_by_consultation
    ON consultation_decisions (consultation, idx);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_statements (
    id            TEXT PRIMARY KEY,
    consultation  TEXT NOT NULL,
    participant   TEXT NOT NULL,
    lang          TEXT NOT NULL,
    text          TEXT NOT NULL,
    status        TEXT NOT NULL,
    submitted_idx INTEGER NOT NULL,
    submitted_at  TEXT NOT NULL,
    agree         INTEGER NOT NULL,
    disagree      INTEGER NOT NULL,
    passes        INTEGER NOT NULL,
    flags         INTEGER NOT NULL,
    reason        TEXT,
    decided_at    TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consultation_statements_by_consultation
    ON consultation_statements (consultation, status);
CREATE INDEX IF NOT EXISTS consultation_statements_by_participant
    ON consultation_statements (participant);

-- derived, personal: one current vote per participant and statement
CREATE TABLE IF NOT EXISTS consultation_votes (
    statement    TEXT NOT NULL,
    participant  TEXT NOT NULL,
    consultation TEXT NOT NULL,
    vote         TEXT NOT NULL,
    shown        TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (statement, participant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consultation_votes_by_participant
    ON consultation_votes (participant, consultation);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_flags (
    statement    TEXT NOT NULL,
    consultation TEXT NOT NULL,
    participant  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    PRIMARY KEY (statement, participant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consultation_flags_by_participant
    ON consultation_flags (participant);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_translations (
    id           TEXT PRIMARY KEY,
    statement    TEXT NOT NULL,
    consultation TEXT NOT NULL,
    lang         TEXT NOT NULL,
    text         TEXT NOT NULL,
    translator   TEXT NOT NULL,
    participant  TEXT,
    status       TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    at           TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consultation_translations_by_consultation
    ON consultation_translations (consultation, idx);
CREATE INDEX IF NOT EXISTS consultation_translations_by_statement
    ON consultation_translations (statement, idx);

-- derived, personal: whom each per-consultation participant id stands for (erasure)
CREATE TABLE IF NOT EXISTS consultation_participants (
    consultation TEXT NOT NULL,
    participant  TEXT NOT NULL,
    subject      TEXT NOT NULL,
    PRIMARY KEY (consultation, participant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consultation_participants_by_subject
    ON consultation_participants (subject);
