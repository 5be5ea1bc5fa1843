"""Alembic env of the notify service: the kit's tables and the service's own."""

from kit.migrate import run_env
from notify.adapters.tables import make_schema

run_env(make_schema().metadata)
