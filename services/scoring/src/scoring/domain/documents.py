"""Load and validate rule documents from YAML, with every error named by its path in the document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from contracts.vocabulary import AssessmentDimension
from scoring.domain.assessment_rules import AssessmentRules
from scoring.domain.clauses import clauses
from scoring.domain.rules import RuleSet

D = TypeVar("D", bound=BaseModel)
Loc = tuple[str | int, ...]
DEPUTY_POINTS_FILE = "deputy_points.yaml"
ASSESSMENT_FILE = "township_assessment.yaml"


@dataclass(frozen=True)
class FieldError:
    """One problem in a document: where (``loc``, keys and indexes), what, and its kind."""

    loc: Loc
    msg: str
    type: str


class InvalidDocumentError(ValueError):
    """A rule document that cannot be used; ``errors`` name each wrong field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = tuple(errors)
        lines = "; ".join(f"{'.'.join(map(str, e.loc)) or '(document)'}: {e.msg}" for e in errors)
        super().__init__(f"invalid rule document: {lines}")


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise InvalidDocumentError([FieldError((), f"{problem}{where}", "yaml")]) from None


def _validate(model: type[D], data: Any, check: Callable[[D], list[FieldError]]) -> D:
    if not isinstance(data, Mapping):
        raise InvalidDocumentError([FieldError((), "the document must be a mapping", "dict_type")])
    try:
        document = model.model_validate(data)
    except ValidationError as error:
        raise InvalidDocumentError(
            [FieldError(tuple(e["loc"]), e["msg"], e["type"]) for e in error.errors()]
        ) from None
    problems = check(document)
    if problems:
        raise InvalidDocumentError(problems)
    return document


def _check_rule_set(rules: RuleSet) -> list[FieldError]:
    known = clauses(rules)
    problems = []
    for i, minimum in enumerate(rules.minimums):
        for j, rule_id in enumerate(minimum.rules):
            if rule_id not in known:
                problems.append(
                    FieldError(
                        ("minimums", i, "rules", j), f"no rule {rule_id!r} in this set", "unknown"
                    )
                )
    ids = Counter(minimum.id for minimum in rules.minimums)
    for i, minimum in enumerate(rules.minimums):
        if ids[minimum.id] > 1:
            problems.append(FieldError(("minimums", i, "id"), "ids must be unique", "duplicate"))
    return problems


def _check_assessment(rules: AssessmentRules) -> list[FieldError]:
    problems = []
    shared = [d for d in rules.dimensions if d is not AssessmentDimension.bonus]
    total = sum((rules.dimensions[d].max for d in shared), start=0)
    if total != 100:
        problems.append(
            FieldError(
                ("dimensions",), f"the maxima other than bonus add to {total}, not 100", "sum"
            )
        )
    ids = Counter(m.id for d in rules.dimensions.values() for m in d.measures)
    for name, dimension in rules.dimensions.items():
        for i, measure in enumerate(dimension.measures):
            if ids[measure.id] > 1:
                loc: Loc = ("dimensions", name.value, "measures", i, "id")
                problems.append(FieldError(loc, "ids must be unique", "duplicate"))
    return problems


def rule_set_from(data: Any) -> RuleSet:
    """Validate a parsed deputy points document; raise InvalidDocumentError naming each bad field."""
    return _validate(RuleSet, data, _check_rule_set)


def parse_rule_set(text: str) -> RuleSet:
    """Validate a deputy points document given as YAML (or JSON) text."""
    return rule_set_from(_read_yaml(text))


def assessment_rules_from(data: Any) -> AssessmentRules:
    """Validate a parsed township assessment document; raise InvalidDocumentError naming each bad field."""
    return _validate(AssessmentRules, data, _check_assessment)


def parse_assessment_rules(text: str) -> AssessmentRules:
    """Validate a township assessment document given as YAML (or JSON) text."""
    return assessment_rules_from(_read_yaml(text))


def _seed(name: str) -> dict[str, Any]:
    text = resources.files("scoring.rules").joinpath(name).read_text("utf-8")
    data = _read_yaml(text)
    if not isinstance(data, dict):
        raise InvalidDocumentError([FieldError((), f"{name} is not a mapping", "dict_type")])
    return data


def default_rule_set(county: str, year: int, version: int = 1) -> RuleSet:
    """Return the seeded deputy points rules (sources in the YAML) for a county and year."""
    return rule_set_from(
        {**_seed(DEPUTY_POINTS_FILE), "county": county, "year": year, "version": version}
    )


def default_assessment_rules(county: str, year: int, version: int = 1) -> AssessmentRules:
    """Return the seeded township assessment rules (sources in the YAML) for a county and year."""
    data = {**_seed(ASSESSMENT_FILE), "county": county, "year": year, "version": version}
    return assessment_rules_from(data)
