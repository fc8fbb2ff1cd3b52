"""Rules documents: the default loads, and every refusal code fires with a clear message."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from credo.errors import RulesRejected
from credo.scoring import (
    DEFAULT_RULES,
    DEFAULT_RULES_BYTES,
    DEFAULT_RULES_HASH,
    load_rules,
    rules_hash,
    rules_schema,
)


def _doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFAULT_RULES_BYTES)
    return copy.deepcopy(loaded)


def _refused(doc: dict[str, Any]) -> RulesRejected:
    with pytest.raises(RulesRejected) as caught:
        load_rules(json.dumps(doc).encode())
    return caught.value


def test_default_rules_load_and_hash_is_sha256_of_bytes() -> None:
    assert DEFAULT_RULES.version == 1
    assert rules_hash(DEFAULT_RULES_BYTES) == DEFAULT_RULES_HASH
    assert len(DEFAULT_RULES_HASH) == 64
    assert {b.context for b in DEFAULT_RULES.benefits} == {"mobility", "finance", "civic"}


def test_yaml_document_loads_like_json() -> None:
    yaml = pytest.importorskip("yaml")
    text = yaml.safe_dump(_doc()).encode()
    assert load_rules(text) == DEFAULT_RULES


def test_default_rules_match_published_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = rules_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_doc(), schema)
    bad = _doc()
    bad["penalty"] = {"points": 5}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_special_category_in_a_line_is_refused() -> None:
    doc = _doc()
    doc["contexts"]["civic"].append("health")
    line = doc["scorecards"][3]["lines"][0]
    line["category"] = "health"
    line["type"] = "checkup.attended"
    err = _refused(doc)
    assert err.code == "special_category"
    assert "'health'" in err.message
    assert "never scoring inputs" in err.message


@pytest.mark.parametrize(
    "name", ["health.visit", "mental_health", "trade-union.member", "criminal_record"]
)
def test_special_category_prefixes_and_words_are_refused(name: str) -> None:
    doc = _doc()
    doc["scorecards"][3]["lines"][0]["type"] = name
    assert _refused(doc).code == "special_category"


def test_lookalike_names_are_not_special() -> None:
    doc = _doc()
    doc["scorecards"][3]["lines"][0]["type"] = "healthy_eating.course"
    doc["contexts"]["finance"].append("credit_union")
    load_rules(json.dumps(doc).encode())


def test_benefit_reaching_outside_its_context_is_refused() -> None:
    doc = _doc()
    bike = next(b for b in doc["benefits"] if b["id"] == "bike-deposit-free")
    bike["scorecard"] = "civic"  # a bike deposit waiver may not look at library records
    err = _refused(doc)
    assert err.code == "out_of_context"
    assert "bike-deposit-free" in err.message
    assert "only records from its own context" in err.message


def test_line_category_outside_its_scorecard_context_is_refused() -> None:
    doc = _doc()
    doc["scorecards"][1]["lines"][0]["category"] = "civic"
    err = _refused(doc)
    assert err.code == "out_of_context"
    assert "outside its context 'mobility'" in err.message


@pytest.mark.parametrize("points", [0, -5])
def test_non_positive_points_are_refused_as_penalty(points: int) -> None:
    doc = _doc()
    doc["scorecards"][0]["lines"][0]["points"] = points
    err = _refused(doc)
    assert err.code == "penalty"
    assert f"gives {points} points" in err.message


def test_penalty_key_is_refused() -> None:
    doc = _doc()
    doc["scorecards"][0]["lines"][0]["penalty"] = 10
    err = _refused(doc)
    assert err.code == "penalty"
    assert "/scorecards/0/lines/0/penalty" in err.message
    assert "rewards only" in err.message


@pytest.mark.parametrize("word", ["deny_travel", "blacklist", "restrict.employment"])
def test_penalty_values_are_refused(word: str) -> None:
    doc = _doc()
    doc["benefits"][0]["description"] = f"{word} for low scorers"
    assert _refused(doc).code == "penalty"


def test_base_below_min_and_tier_below_base_are_penalties() -> None:
    doc = _doc()
    doc["score"]["base"] = -1
    assert _refused(doc).code == "penalty"
    doc = _doc()
    doc["tiers"].insert(0, {"name": "low", "min_score": 100})
    err = _refused(doc)
    assert err.code == "penalty"
    assert "below the base" in err.message


def test_unknown_key_and_bad_types_are_schema_errors() -> None:
    doc = _doc()
    doc["surprise"] = 1
    assert _refused(doc).code == "schema"
    doc = _doc()
    doc["version"] = "1"
    assert _refused(doc).code == "schema"
    doc = _doc()
    doc["scorecards"] = []
    assert _refused(doc).code == "schema"


def test_unknown_tier_in_benefit_is_schema_error() -> None:
    doc = _doc()
    doc["benefits"][0]["min_tier"] = "diamond"
    err = _refused(doc)
    assert err.code == "schema"
    assert "diamond" in err.message


def test_not_a_document_is_refused() -> None:
    with pytest.raises(RulesRejected) as caught:
        load_rules(b"- just\n- a list\n")
    assert caught.value.code == "schema"
