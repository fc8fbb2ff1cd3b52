"""credo.store."""
