"""credo.portal."""
