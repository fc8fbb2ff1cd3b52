"""Shared helpers for the scoring tests."""
