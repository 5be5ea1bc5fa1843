"""The export command writes the files, checks them, and refuses to overwrite with a break."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts.export import ASYNCAPI_FILE, SCHEMA_DIR, main

SCHEMA = "deputies.deputy.registered.v1.json"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A contracts directory freshly exported into a temporary place."""
    assert main(["--root", str(tmp_path)]) == 0
    return tmp_path


def edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_export_writes_schemas_and_asyncapi_then_check_passes(root: Path) -> None:
    assert (root / SCHEMA_DIR / SCHEMA).read_text("utf-8").endswith("}\n")
    assert json.loads((root / ASYNCAPI_FILE).read_text("utf-8"))["asyncapi"] == "3.0.0"
    assert main(["--root", str(root), "--check"]) == 0


def test_check_lists_what_is_out_of_date(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / ASYNCAPI_FILE).write_text("{}\n", encoding="utf-8")
    (root / SCHEMA_DIR / SCHEMA).unlink()
    assert main(["--root", str(root), "--check"]) == 1
    err = capsys.readouterr().err
    assert ASYNCAPI_FILE in err
    assert SCHEMA in err
    assert main(["--root", str(root)]) == 0
    assert main(["--root", str(root), "--check"]) == 0


def test_a_compatible_difference_is_overwritten(root: Path) -> None:
    def drop_optional(document: dict[str, Any]) -> None:
        del document["properties"]["party"]  # the model has it: adding it back is additive

    edit(root / SCHEMA_DIR / SCHEMA, drop_optional)
    assert main(["--root", str(root)]) == 0
    assert "party" in json.loads((root / SCHEMA_DIR / SCHEMA).read_text("utf-8"))["properties"]


def test_a_breaking_change_is_refused_unless_allowed(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def had_more(document: dict[str, Any]) -> None:
        document["properties"]["nickname"] = {"type": "string"}  # the model no longer has it
        document["$defs"]["Gender"]["enum"].append("other")  # nor this value

    path = root / SCHEMA_DIR / SCHEMA
    edit(path, had_more)
    before = path.read_text("utf-8")
    assert main(["--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "property 'nickname' removed" in err
    assert "enum value removed: 'other'" in err
    assert path.read_text("utf-8") == before
    assert main(["--root", str(root), "--check"]) == 1
    assert main(["--root", str(root), "--allow-breaking"]) == 0
    assert "nickname" not in path.read_text("utf-8")


def test_a_withdrawn_event_type_is_a_break(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ghost = root / SCHEMA_DIR / "deputies.ghost.walked.v1.json"
    ghost.write_text('{"type": "object"}\n', encoding="utf-8")
    assert main(["--root", str(root)]) == 1
    assert "deputies.ghost.walked.v1.json: schema removed" in capsys.readouterr().err
    assert ghost.exists()
    assert main(["--root", str(root), "--allow-breaking"]) == 0
    assert not ghost.exists()
