"""Every text field an event carries fits the columns its producer and its consumers store it in.

A 300-character name valid under the contract once exhausted the retries of the cases roster
projection (VARCHAR(100)); the contract's max_length must never exceed a column that keeps the value.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String

from cases.adapters.tables import define_tables as cases_tables
from contracts import deputies as dev
from deputies.adapters.tables import define_tables as deputies_tables


def _max_length(model: type[BaseModel], field: str) -> int | None:
    for item in model.model_fields[field].metadata:
        value = getattr(item, "max_length", None)
        if value is not None:
            return int(value)
    return None


def _length(column: Column[object]) -> int:
    assert isinstance(column.type, String), column
    assert column.type.length, column
    return int(column.type.length)


CASES = cases_tables(MetaData())
DEPUTIES = deputies_tables(MetaData())

# (event model, field) -> the columns that keep it, in the producer (deputies) and consumers (cases)
STORED: list[tuple[type[BaseModel], str, list[Column[object]]]] = [
    (dev.TownshipRegistered, "name", [DEPUTIES.townships.c.name, CASES.townships.c.name]),
    (dev.DeputyRegistered, "name", [DEPUTIES.deputies.c.name, CASES.deputies.c.name]),
    (dev.DeputyUpdated, "name", [DEPUTIES.deputies.c.name, CASES.deputies.c.name]),
    (dev.DeputyRegistered, "deputy_id", [CASES.deputies.c.deputy_id]),
    (dev.DeputyRegistered, "ethnicity", [DEPUTIES.deputies.c.ethnicity]),
    (dev.DeputyRegistered, "party", [DEPUTIES.deputies.c.party]),
    (dev.DeputyRegistered, "occupation", [DEPUTIES.deputies.c.occupation]),
    (dev.StationUpdated, "name", [DEPUTIES.stations.c.name]),
    (dev.StationUpdated, "location", [DEPUTIES.stations.c.address]),
    (dev.StationUpdated, "schedule", [DEPUTIES.stations.c.schedule]),
]


@pytest.mark.parametrize(
    ("model", "field", "columns"),
    STORED,
    ids=[f"{m.__name__}.{f}" for m, f, _ in STORED],
)
def test_contract_limit_fits_every_column_that_stores_the_field(
    model: type[BaseModel], field: str, columns: list[Column[object]]
) -> None:
    limit = _max_length(model, field)
    assert limit is not None, f"{model.__name__}.{field} has no max_length"
    for column in columns:
        assert limit <= _length(column), f"{model.__name__}.{field} ({limit}) > {column} "


def test_a_name_longer_than_the_roster_keeps_is_refused_by_the_producer() -> None:
    with pytest.raises(ValueError, match="at most 100"):
        dev.TownshipRegistered(township="990101001", county="990101", name="镇" * 101, kind="town")
