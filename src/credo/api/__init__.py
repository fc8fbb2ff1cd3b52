"""credo.api."""
