"""The outbox's own event ids: random version 4 UUIDs as text, the same in row, payload and header."""

from __future__ import annotations

import json
from uuid import UUID

from contracts import envelope as ce
from contracts.deputies import TownshipRegistered
from contracts.envelope import RawEnvelope
from contracts.vocabulary import TownshipKind
from kit.db import kit_tables, make_metadata
from kit.outbox import Outbox, RandomIds


def test_random_ids_are_canonical_distinct_version_4_uuids() -> None:
    ids = RandomIds(per_draw=7)  # several draws, a partial one at the end
    drawn = [ids.next() for _ in range(10_000)]
    assert len(set(drawn)) == len(drawn)
    for text in drawn:
        parsed = UUID(text)
        assert str(parsed) == text  # lower-case, hyphenated: what str(uuid4()) gives
        assert parsed.version == 4
        assert parsed.variant == "specified in RFC 4122"


def test_a_row_without_an_id_carries_one_id_everywhere() -> None:
    outbox = Outbox(table=kit_tables(make_metadata()).outbox, service="t")
    fields = {
        "township": "990101001",
        "county": "990101",
        "name": "东湖镇",
        "kind": TownshipKind.town,
    }
    rows = [
        outbox.row_of(TownshipRegistered, fields, source="/services/t", correlationid="c")
        for _ in range(3)
    ]
    assert len({row["event_id"] for row in rows}) == 3
    for row in rows:
        envelope = RawEnvelope.model_validate_json(row["payload"])
        assert str(envelope.id) == row["event_id"] == row["headers"][ce.HEADER_ID]
        assert json.loads(row["payload"])["id"] == row["event_id"]
        assert UUID(row["event_id"]).version == 4
