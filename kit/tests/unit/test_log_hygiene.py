"""Error descriptions carry no personal data; aiokafka's repeated lines are rate-limited."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, Field, ValidationError

from kit.broker import RateLimitFilter
from kit.dead_letter import MAX_DESCRIPTION, describe


class _Person(BaseModel):
    phone: str = Field(max_length=5)


def test_a_validation_error_is_described_without_its_input() -> None:
    with pytest.raises(ValidationError) as caught:
        _Person(phone="13912345678")
    text = describe(caught.value)
    assert text.startswith("ValidationError: phone: String should have at most 5 characters")
    assert "13912345678" not in text


def test_detail_lines_quoted_values_and_numbers_are_dropped_and_the_length_bounded() -> None:
    error = ValueError(
        "duplicate key value violates unique constraint \"deputies_phone_key\" for '张三' "
        "13912345678 110101199003074514\nDETAIL:  Key (phone)=(13912345678) already exists."
    )
    text = describe(error)
    assert '"deputies_phone_key"' in text
    for secret in ("张三", "13912345678", "110101199003074514", "DETAIL"):
        assert secret not in text
    assert len(describe(RuntimeError("x" * 5000))) == MAX_DESCRIPTION


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("aiokafka.conn", logging.ERROR, __file__, 1, message, None, None)


def test_a_repeated_kafka_line_passes_once_per_interval_with_the_count_of_dropped_ones() -> None:
    limit = RateLimitFilter(interval=60.0, burst=3)
    passed = [limit.filter(_record("Unable connect to node %s")) for _ in range(1000)]
    assert passed.count(True) == 1
    others = [limit.filter(_record(f"other message {i}")) for i in range(10)]
    assert others.count(True) == 2  # three lines per logger and interval at most
    limit.interval = 0.0
    again = _record("Unable connect to node %s")
    assert limit.filter(again)
    assert "similar line(s) suppressed" in str(again.msg)
