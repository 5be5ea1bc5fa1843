"""Write the JSON Schemas of the rule documents (for editors) or check the committed ones are current.

uv run python -m scoring.rule_schemas           # write what changed
uv run python -m scoring.rule_schemas --check   # exit 1 listing files out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scoring.domain.assessment_rules import AssessmentRules
from scoring.domain.rules import RuleSet

DIRECTORY = Path(__file__).resolve().parents[2] / "schemas"
MODELS: dict[str, type[BaseModel]] = {
    "deputy_points.schema.json": RuleSet,
    "township_assessment.schema.json": AssessmentRules,
}


def document(name: str, model: type[BaseModel]) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a rule document model."""
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:npc-platform:scoring:{name.removesuffix('.schema.json')}",
        **schema,
    }


def dumps(schema: dict[str, Any]) -> str:
    """Serialise a schema the one way it is committed (sorted keys, UTF-8, trailing newline)."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def outdated(directory: Path = DIRECTORY) -> dict[Path, str]:
    """Return each file that differs from what the models produce, with its wanted text."""
    wanted = {directory / name: dumps(document(name, model)) for name, model in MODELS.items()}
    return {
        path: text
        for path, text in wanted.items()
        if not path.exists() or path.read_text("utf-8") != text
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m scoring.rule_schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = outdated()
    if args.check:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        if stale:
            print(
                "run `uv run python -m scoring.rule_schemas` and commit the result", file=sys.stderr
            )
        return 1 if stale else 0
    for path, text in stale.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
