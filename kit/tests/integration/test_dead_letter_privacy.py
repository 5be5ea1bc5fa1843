"""Dead letters and logs of a failing handler carry the error type, never the row values it wrote."""

from __future__ import annotations

import logging

import pytest
from kit_harness import event, make_schema, settings_for, start_runtime
from sqlalchemy import text

from contracts import topics
from kit.dead_letter import MAX_DESCRIPTION
from kit.runner import Delivery, Subscription
from kit.testing import read_topic, unique
from kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

PHONE = "13912345678"
NAME = "欧阳娜娜"


async def test_a_database_error_leaves_no_personal_data_in_dead_letter_headers_or_logs(
    database_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    schema = make_schema()
    group = unique("privacy")

    async def store(delivery: Delivery, uow: UnitOfWork) -> None:
        # effects.name is VARCHAR(200): the database refuses, and its error quotes the parameters
        await uow.session.execute(
            text("INSERT INTO effects (event_id, subject, name) VALUES (:id, :subject, :name)"),
            {"id": str(delivery.envelope.id), "subject": NAME, "name": f"{NAME} {PHONE} " * 30},
        )

    subscription = Subscription(group, (topics.DEPUTIES,), {"deputies.township.registered": store})
    caplog.set_level(logging.DEBUG, logger="kit")
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [subscription])
    try:
        async with runtime.uow() as uow:
            uow.stage(event("agg-1", "a township"))
            await uow.commit()
        dead = await read_topic(f"{topic_prefix}{topics.DEPUTIES}.dlq.{group}", expected=1)
    finally:
        await runtime.stop()
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["dlq_reason"] == "retries_exhausted"
    error = headers["dlq_error"]
    assert error == (
        "DBAPIError: StringDataRightTruncationError (22001): "
        "value too long for type character varying(200)"
    )
    assert len(error) <= MAX_DESCRIPTION
    logged = "\n".join(
        r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records
    )
    assert "dead-lettered" in logged
    for secret in (PHONE, NAME, "INSERT INTO", "parameters"):
        assert secret not in error, secret
        assert secret not in logged, secret
