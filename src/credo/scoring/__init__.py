"""credo.scoring."""
