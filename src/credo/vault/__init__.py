"""credo.vault."""
