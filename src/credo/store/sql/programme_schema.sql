-- The credit programme's tables: governance and programme state are derived from the log;
-- scores and score_history are a cache of scoring's pure function (rules, records, as-of time),
-- recomputed by `credo score` and deleted when a person withdraws.

-- derived
CREATE TABLE IF NOT EXISTS proposals (
    id           {text} PRIMARY KEY,
    proposer     {text} NOT NULL,
    action       {text} NOT NULL,
    params       {text} NOT NULL,
    status       {text} NOT NULL,        -- open | adopted | rejected
    proposed_idx {int} NOT NULL,
    decided_idx  {int}
){without_rowid};

-- derived
CREATE TABLE IF NOT EXISTS votes (
    proposal_id {text} NOT NULL,
    member      {text} NOT NULL,
    vote        {text} NOT NULL,
    idx         {int} NOT NULL,
    PRIMARY KEY (proposal_id, member)
){without_rowid};

-- derived: every adopted rules document; the current one is the last adopted
CREATE TABLE IF NOT EXISTS rules_docs (
    adopted_idx {int} PRIMARY KEY,
    hash        {text} NOT NULL,
    document    {bytes} NOT NULL,
    proposal_id {text} NOT NULL
);

-- derived
CREATE TABLE IF NOT EXISTS enrolments (
    subject      {text} PRIMARY KEY,
    enrolled_idx {int} NOT NULL,
    enrolled_at  {text} NOT NULL
){without_rowid};

-- derived
CREATE TABLE IF NOT EXISTS disputes (
    id           {text} PRIMARY KEY,
    record_id    {text} NOT NULL,
    subject      {text} NOT NULL,
    statement    {text} NOT NULL,        -- commitment to the person's statement (kept in the vault)
    opened_idx   {int} NOT NULL,
    opened_at    {text} NOT NULL,
    status       {text} NOT NULL,        -- open | upheld | amended | retracted | expired
    closed_idx   {int},
    closed_at    {text},
    evidence     {text}
){without_rowid};
CREATE INDEX IF NOT EXISTS disputes_by_record ON disputes (record_id);
-- every rescoring reads a person's disputes: without it, a scan of all of them
CREATE INDEX IF NOT EXISTS disputes_by_subject ON disputes (subject, opened_idx);

-- one score per person and rules hash: during a change of rules the new rules' scores are
-- filled in beside the served ones, and meta 'serving_rules' names the hash that is served
CREATE TABLE IF NOT EXISTS scores (
    subject   {text} NOT NULL,
    rules_hash {text} NOT NULL,
    as_of     {int} NOT NULL,
    score     {int} NOT NULL,
    tier      {text} NOT NULL,
    doc       {text} NOT NULL,
    PRIMARY KEY (subject, rules_hash)
){without_rowid};

CREATE TABLE IF NOT EXISTS score_history (
    subject    {text} NOT NULL,
    as_of      {int} NOT NULL,
    rules_hash {text} NOT NULL,
    score      {int} NOT NULL,
    tier       {text} NOT NULL,
    PRIMARY KEY (subject, as_of)
){without_rowid};
