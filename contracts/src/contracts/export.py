"""Write the committed contract files (JSON Schemas, AsyncAPI) or check they are current.

    uv run python -m contracts.export                   # write what changed
    uv run python -m contracts.export --check           # exit 1 listing files out of date
    uv run python -m contracts.export --allow-breaking  # overwrite despite breaking changes

The files live inside the package (`src/contracts/documents/`), so the wheel carries them and
`contracts.loader` reads them. A committed schema is never overwritten by an incompatible one unless
--allow-breaking is given: a breaking change belongs in a new major version of the type (a v2 file
beside v1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import asyncapi, compat, schemas

ROOT = Path(__file__).resolve().parent / "documents"
SCHEMA_DIR = "schemas"
ASYNCAPI_FILE = "asyncapi.json"
#: Where the files were before they moved into the package: an export deletes what is left there.
_FORMER = ROOT.parents[2]


@dataclass(frozen=True)
class Plan:
    """What an export would change under a contracts directory, and what it would break."""

    writes: dict[Path, str] = field(default_factory=dict)
    deletions: list[Path] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """Tell whether the committed files are exactly what the catalog produces."""
        return not self.writes and not self.deletions

    def outdated(self) -> list[Path]:
        """Return every file that would be written or deleted."""
        return sorted([*self.writes, *self.deletions])


def _committed(directory: Path) -> tuple[dict[str, Any], list[str]]:
    found: dict[str, Any] = {}
    unreadable: list[str] = []
    for path in sorted(directory.glob("*.json")):
        try:
            found[path.name] = json.loads(path.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            unreadable.append(path.name)
    return found, unreadable


def plan(root: Path = ROOT) -> Plan:
    """Compare the files under `root` with what the catalog produces; change nothing."""
    documents = schemas.documents()
    wanted = {root / SCHEMA_DIR / name: schemas.dumps(doc) for name, doc in documents.items()}
    wanted[root / ASYNCAPI_FILE] = schemas.dumps(asyncapi.document())
    committed, unreadable = _committed(root / SCHEMA_DIR)
    breaks = compat.catalog_breaks(committed, documents)
    breaks += [f"{name}: not valid JSON, cannot be compared" for name in unreadable]
    writes = {
        path: text
        for path, text in wanted.items()
        if not path.exists() or path.read_text("utf-8", errors="replace") != text
    }
    stale = [
        root / SCHEMA_DIR / name for name in [*committed, *unreadable] if name not in documents
    ]
    if root == ROOT and (_FORMER / "pyproject.toml").exists():  # the source tree, not a wheel
        former = [*(_FORMER / SCHEMA_DIR).glob("*.json"), _FORMER / ASYNCAPI_FILE]
        stale += [path for path in former if path.exists()]
    return Plan(writes=writes, deletions=sorted(stale), breaks=breaks)


def apply(result: Plan) -> None:
    """Write and delete what a plan lists."""
    for path, text in result.writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for path in result.deletions:
        path.unlink()


def _show(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m contracts.export", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if out of date"
    )
    parser.add_argument(
        "--allow-breaking", action="store_true", help="overwrite despite breaking changes"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the documents directory")
    args = parser.parse_args(argv)
    result = plan(args.root)
    for line in result.breaks:
        print(f"breaking: {line}", file=sys.stderr)
    if args.check:
        for path in result.outdated():
            print(f"out of date: {_show(path)}", file=sys.stderr)
        if not result.up_to_date:
            print("run `uv run python -m contracts.export` and commit the result", file=sys.stderr)
        return 0 if result.up_to_date else 1
    if result.breaks and not args.allow_breaking:
        print(
            "refusing to overwrite committed schemas with incompatible ones: add a new major "
            "version of the type (VERSION = 2, a v2 file beside v1), or pass --allow-breaking",
            file=sys.stderr,
        )
        return 1
    apply(result)
    for path in result.writes:
        print(f"wrote {_show(path)}")
    for path in result.deletions:
        print(f"deleted {_show(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
