"""Hypothesis round trips for normalization and sealing."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InputError, VerificationError
from credo.vault import MAX_PAYLOAD_BYTES, MasterKey, Vault, normalize_national_id

ID_CHARS = string.ascii_letters + string.digits
raw_ids = st.builds(
    lambda core, seps: "".join(c + s for c, s in zip(core, seps, strict=False)),
    st.text(ID_CHARS, min_size=4, max_size=32),
    st.lists(st.sampled_from(["", "", "-", " "]), min_size=32, max_size=32),
)
payloads = st.binary(max_size=MAX_PAYLOAD_BYTES)
contexts = st.binary(max_size=64)


@pytest.fixture(scope="module")
def shared_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    path: Path = tmp_path_factory.mktemp("vault") / "vault.db"
    with Vault(path, MasterKey.generate()) as v:
        yield v


@given(raw_ids)
def test_normalize_is_idempotent_and_canonical(raw: str) -> None:
    normal = normalize_national_id(raw)
    assert normalize_national_id(normal) == normal
    assert normal == raw.replace("-", "").replace(" ", "").upper()
    assert normalize_national_id(raw.lower()) == normal


def _reference_normalize(raw: str) -> str | None:
    """A deliberately plain restatement of the rule, to compare the real one against."""
    if not 1 <= len(raw) <= 64 or any(c not in ID_CHARS + "- " for c in raw):
        return None
    stripped = "".join(c for c in raw if c not in "- ").upper()
    return stripped if 4 <= len(stripped) <= 32 else None


@given(st.one_of(st.text(max_size=70), st.text(ID_CHARS + "- \t_ß", max_size=70), raw_ids))
def test_normalize_matches_the_reference(raw: str) -> None:
    expected = _reference_normalize(raw)
    if expected is None:
        with pytest.raises(InputError) as info:
            normalize_national_id(raw)
        assert info.value.code == "bad_national_id"
    else:
        assert normalize_national_id(raw) == expected


@settings(max_examples=50, deadline=None)
@given(raw_ids, payloads, contexts)
def test_seal_open_round_trip(shared_vault: Vault, raw: str, payload: bytes, ctx: bytes) -> None:
    ref = shared_vault.ensure_subject(raw)
    assert shared_vault.subject_ref(raw) == ref
    sealed = shared_vault.seal(ref, payload, ctx)
    assert shared_vault.unseal(ref, sealed.record_key, sealed.commitment, ctx) == payload


@settings(max_examples=30, deadline=None)
@given(payloads, contexts, contexts)
def test_other_context_never_opens(
    shared_vault: Vault, payload: bytes, ctx: bytes, other: bytes
) -> None:
    ref = shared_vault.ensure_subject("PROP0001")
    sealed = shared_vault.seal(ref, payload, ctx)
    if other == ctx:
        return
    with pytest.raises(VerificationError):
        shared_vault.unseal(ref, sealed.record_key, sealed.commitment, other)
