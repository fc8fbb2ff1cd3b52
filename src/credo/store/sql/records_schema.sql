-- People's data on the ledger side: metadata only. No national id and no payload is ever stored
-- here; subjects appear only as the vault's random refs, which the log never carries (its
-- entries hold blinded tags and sealed metadata, opened by the vault on replay). Every table is
-- derived from the log.

-- derived: the current version of each record (put, then amended or retracted)
CREATE TABLE IF NOT EXISTS records (
    record_id    {text} PRIMARY KEY,
    subject      {text} NOT NULL,
    category     {text} NOT NULL,
    type         {text} NOT NULL,
    effective_at {text} NOT NULL,
    commitment   {text} NOT NULL,        -- salted commitment to the payload (vault checks it)
    vault_key    {text} NOT NULL,        -- where the sealed payload lives in the vault
    member       {text} NOT NULL,        -- the submitting member
    status       {text} NOT NULL,        -- active | retracted | erased
    put_idx      {int} NOT NULL,
    updated_idx  {int} NOT NULL,
    put_at       {text} NOT NULL
){without_rowid};
CREATE INDEX IF NOT EXISTS records_by_subject ON records (subject, put_idx);
-- A person's records of one type (their name, on every page of theirs): through the subject
-- index alone, each of the subject's rows was read from the table to test its type, which made
-- the one-row lookup cost as much as reading all of them (72 for the demo's busiest person).
CREATE INDEX IF NOT EXISTS records_by_subject_type ON records (subject, type, put_idx);

-- derived: consent artefacts (grant, then possibly revoke)
CREATE TABLE IF NOT EXISTS consents (
    id            {text} PRIMARY KEY,
    subject       {text} NOT NULL,
    member        {text} NOT NULL,
    purpose       {text} NOT NULL,
    categories    {text} NOT NULL,       -- JSON list
    valid_from    {text} NOT NULL,
    valid_until   {text} NOT NULL,
    granted_idx   {int} NOT NULL,
    revoked_idx   {int},
    revoke_reason {text}
){without_rowid};
CREATE INDEX IF NOT EXISTS consents_by_subject ON consents (subject, granted_idx);

-- derived: access mandates adopted by the consortium
CREATE TABLE IF NOT EXISTS mandates (
    id              {text} PRIMARY KEY,
    purpose         {text} NOT NULL,
    categories      {text} NOT NULL,     -- JSON list
    members         {text} NOT NULL,     -- JSON list of member ids
    sectors         {text} NOT NULL,     -- JSON list of sectors
    legal_reference {text} NOT NULL,
    valid_from      {text} NOT NULL,
    valid_until     {text},
    adopted_idx     {int} NOT NULL,
    repealed_idx    {int}
){without_rowid};

-- derived: every read of a person's records, granted or refused
CREATE TABLE IF NOT EXISTS access (
    idx                  {int} PRIMARY KEY,
    at                   {text} NOT NULL,
    subject              {text},         -- NULL when the vault knew no such person
    member               {text} NOT NULL,
    purpose              {text} NOT NULL,
    basis                {text} NOT NULL,  -- consent:<id> | mandate:<id>
    categories_requested {text} NOT NULL,  -- JSON list
    categories_granted   {text} NOT NULL,  -- JSON list
    outcome              {text} NOT NULL,  -- granted | refused
    reason               {text} NOT NULL,
    record_ids           {text} NOT NULL,  -- JSON list
    request_digest       {text} NOT NULL   -- sha256 of the member's signed request
);
CREATE INDEX IF NOT EXISTS access_by_subject ON access (subject, idx);

-- derived: subjects whose keys were destroyed (their refs stay on the log, unlinkable)
CREATE TABLE IF NOT EXISTS erased_subjects (
    subject    {text} PRIMARY KEY,
    erased_idx {int} NOT NULL
){without_rowid};

-- derived: every personal entry's tag, and the subject the vault resolved it to (NULL in a
-- replay without the vault's key). A tag is used once; a subject is known once it has a row.
CREATE TABLE IF NOT EXISTS entry_tags (
    tag     {text} PRIMARY KEY,
    idx     {int} NOT NULL,
    subject {text}
){without_rowid};
CREATE INDEX IF NOT EXISTS entry_tags_by_subject ON entry_tags (subject, idx);
