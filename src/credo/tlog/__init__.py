"""credo.tlog."""
