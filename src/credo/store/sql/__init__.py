"""The store's SQL, written once for every backend: the schema (`schema`, ``*.sql``) and every
read and write (`log`, `programme`, `records`), as mixins standing on `base.Queries`.

Statements use ``?`` parameters and SQL both SQLite and PostgreSQL speak: upserts are
``INSERT ... ON CONFLICT (key) DO UPDATE``, and an insert that must not overwrite inserts
nothing on a duplicate and raises `Conflict` from its row count (PostgreSQL aborts a whole
transaction on a failed statement, and the sequencer goes on after a refused entry). A
backend (`credo.store.sqlite`, `credo.store.postgres`) keeps only what differs: connecting,
its parameter style (`base.Queries`' four statement methods), the writer's lock, error
translation, the lease's clock and bulk inserts.
"""
