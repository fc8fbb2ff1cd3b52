"""The result document, the parameters and the package's public surface."""

from __future__ import annotations

import json
import types

import pytest

import credo.consultation as consultation
from credo.consultation import (
    Params,
    analyse,
    params_bytes,
    parse_params,
    parse_result,
    result_bytes,
    result_hash,
    verify,
)
from credo.errors import InputError, VerificationError
from tests.consultation.conftest import two_camps


def test_public_surface() -> None:
    """``__all__`` is exactly what the package exports (the submodules aside)."""
    exported = {
        name
        for name, value in vars(consultation).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(consultation.__all__) == exported
    assert len(consultation.__all__) == len(set(consultation.__all__))


def test_the_document_names_everything_needed_to_recompute_it() -> None:
    m, _ = two_camps()
    params = Params(seed=11, fdr=0.1)
    data = result_bytes(analyse(m, params))
    doc = json.loads(data)
    assert doc["format"] == "credo-consultation-result/1"
    assert (doc["algorithm"], doc["version"]) == ("credo.consultation", "1")
    assert doc["params"] == json.loads(params_bytes(params))
    assert parse_params(params_bytes(params)) == params
    assert doc["matrix"]["votes"] == m.n_votes
    assert len(result_hash(data)) == 64
    assert (
        data == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_a_non_canonical_result_is_refused() -> None:
    m, _ = two_camps()
    doc = json.loads(result_bytes(analyse(m)))
    with pytest.raises(InputError, match="canonical"):
        parse_result(json.dumps(doc, sort_keys=True).encode())
    with pytest.raises(InputError, match="not a credo-consultation-result/1"):
        parse_result(b'{"format":"other"}')


def test_verify_refuses_another_algorithm_version() -> None:
    m, _ = two_camps()
    doc = json.loads(result_bytes(analyse(m)))
    doc["version"] = "0"
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    with pytest.raises(VerificationError, match=r"computed by credo\.consultation 0"):
        verify(m, Params(), data)


@pytest.mark.parametrize(
    "text", ['{"seed": -1}', '{"fdr": 1.5}', '{"colour": "red"}', "nonsense", '{"seed": "7"}']
)
def test_bad_parameters_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="analysis parameters refused"):
        parse_params(text)
