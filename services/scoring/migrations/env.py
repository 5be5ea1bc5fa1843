"""Alembic env of the scoring service: the kit's tables and the service's own."""

from kit.migrate import run_env
from scoring.adapters.tables import make_schema

run_env(make_schema().metadata)
