"""`credo.ledger.text` and where it holds: payloads, statements and members' names refuse
NaN and Infinity, control and bidi characters, and text that shows nothing; two members
cannot share a display name. One test per finding of the probe (issue 25)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from credo.errors import EntryRejected, InputError
from credo.ledger.text import canonical_name, check_json_values, text_problem
from credo.services.node import Node, admit_member
from credo.services.people import People
from credo.services.programme import Programme
from credo.services.records import encode_payload
from tests._people import NID
from tests.conftest import member_key

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@pytest.mark.parametrize(
    "text",
    [
        "Alice\u202eevil",  # right-to-left override
        "\u2066isolated\u2069",
        "bell\x07",
        "nul\x00",
        "esc\x1b[31m",
        ZERO_WIDTH,
        " \u3000\u00a0",  # spaces only
        "\u3164\u3164",  # Hangul fillers: letters that draw nothing
        "\u0301\u0301",  # combining marks with no base
    ],
)
def test_text_that_misleads_or_shows_nothing_is_refused(text: str) -> None:
    assert text_problem(text) is not None
    assert text_problem(text, multiline=True) is not None


@pytest.mark.parametrize("text", ["Alice", "ธนาคารกรุงเทพ", "北京银行", "שלום", "x\u200by"])
def test_plain_text_in_any_script_passes(text: str) -> None:
    assert text_problem(text) is None  # a right-to-left script is fine; overrides are not


def test_newlines_only_where_lines_are_allowed() -> None:
    assert text_problem("one\ntwo") is not None
    assert text_problem("one\ntwo\r\n\tthree", multiline=True) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": math.nan},
        {"amount": math.inf},
        {"nested": [1, {"x": -math.inf}]},
        {"note": "a\x00b"},
        {"note": "file\u202etxt.exe"},
        {"k\u202e": 1},
    ],
)
def test_payloads_refuse_non_finite_numbers_and_control_or_bidi_characters(
    payload: dict[str, object],
) -> None:
    assert check_json_values(payload) is not None
    with pytest.raises(InputError) as refused:
        encode_payload(payload)
    assert refused.value.code == "bad_payload"


def test_a_payload_parsed_from_nan_json_is_refused() -> None:
    """Python's json (and pydantic's) read NaN and Infinity; the person's export would then
    not be JSON and the portal would show "nan"."""
    with pytest.raises(InputError, match="JSON cannot carry"):
        encode_payload(json.loads('{"amount": NaN}'))
    assert encode_payload({"note": "line one\nline two", "amount": 1.5})


def test_a_statement_of_zero_width_spaces_is_refused(ledger: Node, data_dir: Path) -> None:
    people = People.open(ledger)
    record_id, _ = people.records.put(
        member_key(data_dir, "bank"), "bank", NID, "finance", "loan.repaid", {}
    )
    programme = Programme(people)
    programme.enrol(NID)
    for statement in (ZERO_WIDTH * 10, "not mine\u202e", "not\x07mine"):
        with pytest.raises(InputError) as refused:
            programme.open_dispute(NID, record_id, statement)
        assert refused.value.code == "bad_statement"
    assert programme.open_dispute(NID, record_id, "ไม่ใช่ของฉัน\nI never had this loan")


def test_canonical_names_meet_across_case_width_and_composition() -> None:
    assert canonical_name("Test  BANK ") == canonical_name("test bank")
    assert canonical_name("Ｔｅｓｔ Bank") == canonical_name("test bank")  # full width
    assert canonical_name("Cafe\u0301") == canonical_name("Café")  # composition
    assert canonical_name("Test Bank") != canonical_name("Test Bank 2")


@pytest.mark.parametrize("name", ["test bank", "TEST  BANK", "Ｔｅｓｔ Ｂａｎｋ"])
def test_two_members_cannot_share_a_display_name(ledger: Node, name: str) -> None:
    with pytest.raises(EntryRejected) as refused:
        admit_member(ledger, "bank2", name, "bank", ["reader"])
    assert refused.value.code == "name_taken"
    assert ledger.store.get_member("bank2") is None


@pytest.mark.parametrize("name", ["Bank\u202eknaB", "Bank\x1b[2J", ZERO_WIDTH])
def test_a_member_name_that_misleads_is_refused(ledger: Node, name: str) -> None:
    with pytest.raises(EntryRejected) as refused:
        admit_member(ledger, "bank3", name, "bank", ["reader"])
    assert refused.value.code == "schema"
    assert ledger.store.get_member("bank3") is None
    assert not ledger.data.member_key("bank3").exists()  # no key file for a refused member
