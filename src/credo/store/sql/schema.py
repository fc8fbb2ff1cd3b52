"""The store's schema, written once (``*.sql`` beside this module) with its column types left
for each backend to fill in: the backends differ in type names, not in tables, columns, keys
or indexes, so both dump the same rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources

FILES = ("schema.sql", "programme_schema.sql", "records_schema.sql", "consultation_schema.sql")


@dataclass(frozen=True, slots=True)
class Types:
    """What a backend writes for each placeholder of the schema."""

    text: str
    int: str
    """A 64-bit integer."""
    bytes: str
    real: str
    without_rowid: str
    """After a table's closing parenthesis: SQLite's clustered table, or nothing."""
    deferrable: str
    """After the attestation index's key: checked at commit, or nothing."""


def schema(types: Types) -> str:
    """Every CREATE statement of the store, in ``types``' words."""
    package = resources.files("credo.store.sql")
    text = "\n".join(package.joinpath(name).read_text("utf-8") for name in FILES)
    return text.format_map(asdict(types))
