"""`credo.errors`: every error credo raises on purpose is defined there (none in another
module), and a refusal keeps its class across a process or HTTP boundary."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import credo
from credo import errors
from credo.errors import CredoError, EntryRejected, OldSizeMismatch, UnjustifiedAccess, rejected
from credo.services.forwarding import _outcome


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(credo.__path__, "credo.")]


def test_no_error_class_is_defined_outside_errors_py() -> None:
    outside = []
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == name != "credo.errors"
                and not value.__name__.startswith("_")  # private control flow (_Redo, _Stop)
            ):
                outside.append(f"{name}.{value.__name__}")
    assert outside == []


def test_a_refusal_rebuilt_from_its_code_is_its_class() -> None:
    again = rejected("the grant changed", "unjustified_access")
    assert isinstance(again, UnjustifiedAccess)
    assert again.code == "unjustified_access"
    other = rejected("bad", "schema")
    assert type(other) is EntryRejected
    assert other.code == "schema"
    crossed = pickle.loads(pickle.dumps(UnjustifiedAccess("x")))  # a validation worker's
    assert isinstance(crossed, UnjustifiedAccess)
    mismatch = pickle.loads(pickle.dumps(OldSizeMismatch("x", size=7)))
    assert mismatch.size == 7


def test_a_forwarded_refusal_keeps_its_class() -> None:
    """A read forwarded to the active sequencer retries on `UnjustifiedAccess` as it does in
    process: the code in the answer becomes the class again."""
    result = {"status": "rejected", "code": "unjustified_access", "reason": "changed"}
    outcome = _outcome(None, result)  # type: ignore[arg-type]
    assert isinstance(outcome, UnjustifiedAccess)


def test_every_error_is_a_credo_error_but_the_portals_signals() -> None:
    classes = [v for v in vars(errors).values() if inspect.isclass(v) and issubclass(v, Exception)]
    signals = {errors.SignInRequired, errors.BadForm}
    assert {c for c in classes if not issubclass(c, CredoError)} == signals
