"""`credo.__all__`: complete (every public name of the package and every error credo raises
on purpose) and honest (every name in it imports)."""

from __future__ import annotations

import importlib
import inspect
import types

import credo
from credo import errors


def test_every_name_in_all_imports() -> None:
    assert len(credo.__all__) == len(set(credo.__all__))
    for name in credo.__all__:
        namespace: dict[str, object] = {}
        exec(f"from credo import {name}", namespace)
        assert namespace[name] is getattr(credo, name)


def test_every_public_name_is_in_all() -> None:
    public = {
        name
        for name, value in vars(credo).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(credo.__all__)


def test_every_credo_error_is_in_all() -> None:
    raised = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.CredoError)
    }
    assert raised <= set(credo.__all__)
    assert importlib.import_module("credo").CredoError is errors.CredoError
