"""The platform's one authorisation matrix: every route of the four services x role x own/other.

Each service declares its routes in ``services/<name>/tests/integration/test_<name>_authz.py``;
this test runs each declaration on the shared runner (``kit.authz_matrix``) against the real app on
a fresh PostgreSQL database, and fails on any wrong cell, any 5xx, any refusal not audited, and any
operation of the service's OpenAPI that no entry calls. ``AUTHZ_REPORT_DIR=dir`` writes the report.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from kit.authz_matrix import Report
from kit.testing import fresh_database, unique

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("deputies", "cases", "scoring", "notify")


def declaration(service: str) -> Any:
    """Import a service's matrix module as pytest does (its test folders on the path)."""
    here = ROOT / "services" / service / "tests" / "integration" / f"test_{service}_authz.py"
    for folder in (here.parent.parent, here.parent):  # its harness module, then the matrix
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    return importlib.import_module(here.stem)


def test_every_service_has_a_matrix() -> None:
    assert sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir()) == sorted(SERVICES)
    for service in SERVICES:
        assert inspect.iscoroutinefunction(declaration(service).matrix), service


@pytest.mark.timeout(1800)  # a loaded 2-core CI machine: cases alone took over 5 min
@pytest.mark.parametrize("service", SERVICES)
async def test_the_authorisation_matrix(service: str, tmp_path: Path) -> None:
    matrix = declaration(service).matrix
    async with fresh_database() as database_url:
        given = {
            "database_url": database_url,
            "topic_prefix": unique("t") + ".",
            "tmp_path": tmp_path,
        }
        wanted = inspect.signature(matrix).parameters
        report: Report = await matrix(**{name: given[name] for name in wanted})
    assert report.service == service
    report.check()
