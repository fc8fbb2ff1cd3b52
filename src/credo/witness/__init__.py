"""credo.witness: a C2SP tlog-witness a member runs on its own host.

`service.Witness` checks and cosigns checkpoints (no HTTP), `store.WitnessStore` keeps its
state with a compare-and-swap, `app.create_witness_app` serves it, `identity` holds its key.
It uses only `credo.tlog` and `credo.errors` (an import-linter layer of its own). Import
the modules themselves: the package imports nothing, so that the command line does not pay
for FastAPI when it only needs a witness's key.
"""
