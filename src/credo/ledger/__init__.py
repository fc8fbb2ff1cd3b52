"""credo.ledger."""
