-- Public consultations (credo.ledger.kinds.consultations). consultations and
-- consultation_decisions come from the consortium's own entries; the rest from personal
-- entries (political opinions: read by the operator's services only).

-- derived
CREATE TABLE IF NOT EXISTS consultations (
    id          {text} PRIMARY KEY,
    convener    {text} NOT NULL,
    question    {text} NOT NULL,
    description {text} NOT NULL,
    opens_at    {text} NOT NULL,
    closes_at   {text} NOT NULL,
    moderation  {text} NOT NULL,
    proposal    {text},
    moderators  {text} NOT NULL,
    opened_idx  {int} NOT NULL,
    closed_idx  {int},
    closed_at   {text}
) {without_rowid};

-- derived
CREATE TABLE IF NOT EXISTS consultation_decisions (
    idx          {int} PRIMARY KEY,
    consultation {text} NOT NULL,
    item         {text} NOT NULL,
    decision     {text} NOT NULL,
    reason       {text} NOT NULL,
    moderator    {text} NOT NULL,
    at           {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_decisions_by_consultation
    ON consultation_decisions (consultation, idx);

-- derived: published results and imports (consultation.result, consultation.import)
CREATE TABLE IF NOT EXISTS consultation_published (
    idx          {int} PRIMARY KEY,
    consultation {text} NOT NULL,
    kind         {text} NOT NULL,
    matrix       {text} NOT NULL,
    result       {text},
    conversation {text},
    params       {text},
    at           {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_published_by_consultation
    ON consultation_published (consultation, idx);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_statements (
    id            {text} PRIMARY KEY,
    consultation  {text} NOT NULL,
    participant   {text} NOT NULL,
    lang          {text} NOT NULL,
    text          {text} NOT NULL,
    status        {text} NOT NULL,
    submitted_idx {int} NOT NULL,
    submitted_at  {text} NOT NULL,
    agree         {int} NOT NULL,
    disagree      {int} NOT NULL,
    passes        {int} NOT NULL,
    flags         {int} NOT NULL,
    reason        {text},
    decided_at    {text}
) {without_rowid};
CREATE INDEX IF NOT EXISTS consultation_statements_by_consultation
    ON consultation_statements (consultation, status);
CREATE INDEX IF NOT EXISTS consultation_statements_by_participant
    ON consultation_statements (participant);

-- derived, personal: one current vote per participant and statement
CREATE TABLE IF NOT EXISTS consultation_votes (
    statement    {text} NOT NULL,
    participant  {text} NOT NULL,
    consultation {text} NOT NULL,
    vote         {text} NOT NULL,
    shown        {text} NOT NULL,
    idx          {int} NOT NULL,
    at           {text} NOT NULL,
    PRIMARY KEY (statement, participant)
) {without_rowid};
CREATE INDEX IF NOT EXISTS consultation_votes_by_participant
    ON consultation_votes (participant, consultation);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_flags (
    statement    {text} NOT NULL,
    consultation {text} NOT NULL,
    participant  {text} NOT NULL,
    reason       {text} NOT NULL,
    idx          {int} NOT NULL,
    PRIMARY KEY (statement, participant)
) {without_rowid};
CREATE INDEX IF NOT EXISTS consultation_flags_by_participant
    ON consultation_flags (participant);

-- derived, personal
CREATE TABLE IF NOT EXISTS consultation_translations (
    id           {text} PRIMARY KEY,
    statement    {text} NOT NULL,
    consultation {text} NOT NULL,
    lang         {text} NOT NULL,
    text         {text} NOT NULL,
    translator   {text} NOT NULL,
    participant  {text},
    status       {text} NOT NULL,
    idx          {int} NOT NULL,
    at           {text} NOT NULL
) {without_rowid};
CREATE INDEX IF NOT EXISTS consultation_translations_by_consultation
    ON consultation_translations (consultation, idx);
CREATE INDEX IF NOT EXISTS consultation_translations_by_statement
    ON consultation_translations (statement, idx);

-- derived, personal: whom each per-consultation participant id stands for (erasure)
CREATE TABLE IF NOT EXISTS consultation_participants (
    consultation {text} NOT NULL,
    participant  {text} NOT NULL,
    subject      {text} NOT NULL,
    PRIMARY KEY (consultation, participant)
) {without_rowid};
CREATE INDEX IF NOT EXISTS consultation_participants_by_subject
    ON consultation_participants (subject);
