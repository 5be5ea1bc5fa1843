"""The committed JSON Schemas of the rule documents are current, and editors can trust them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from scoring_harness import COUNTY, YEAR

from scoring import rule_schemas
from scoring.domain.documents import default_assessment_rules, default_rule_set

SEEDS = {
    "deputy_points.schema.json": default_rule_set(COUNTY, YEAR),
    "township_assessment.schema.json": default_assessment_rules(COUNTY, YEAR),
}


def committed(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((rule_schemas.DIRECTORY / name).read_text("utf-8"))
    return schema


def test_the_committed_schemas_are_what_the_models_produce() -> None:
    assert [p.name for p in rule_schemas.outdated()] == [], (
        "run `uv run python -m scoring.rule_schemas` and commit the result"
    )
    assert rule_schemas.main(["--check"]) == 0


def test_the_check_names_a_missing_or_stale_file(tmp_path: Path) -> None:
    (tmp_path / "deputy_points.schema.json").write_text("{}\n", encoding="utf-8")
    assert sorted(p.name for p in rule_schemas.outdated(tmp_path)) == sorted(rule_schemas.MODELS)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seeds_are_valid_under_the_committed_schema(name: str) -> None:
    schema = committed(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(SEEDS[name].model_dump(mode="json"), schema)


def test_the_schema_refuses_what_the_model_refuses() -> None:
    data = SEEDS["deputy_points.schema.json"].model_dump(mode="json")
    data["activities"]["inspection"]["present"]["pionts"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, committed("deputy_points.schema.json"))
