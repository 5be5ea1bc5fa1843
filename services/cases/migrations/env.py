"""Alembic env of the cases service: the kit's tables and the service's own."""

from cases.adapters.tables import make_schema
from kit.migrate import run_env

run_env(make_schema().metadata)
