"""`assert` only in tests: under ``python -O`` an assert in src/ vanishes, so a check that
matters is an `if` that raises a `credo.errors` error."""

from __future__ import annotations

import ast
from pathlib import Path

import credo

SRC = Path(credo.__file__).parent


def test_no_assert_statement_in_src() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
