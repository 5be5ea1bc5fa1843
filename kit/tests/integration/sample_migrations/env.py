"""Alembic env of the kit's sample service: the kit tables only."""

from kit.db import kit_tables, make_metadata
from kit.migrate import run_env

metadata = make_metadata()
kit_tables(metadata)
run_env(metadata)
