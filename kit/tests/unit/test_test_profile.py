"""Every test run loads the CI Hypothesis profile, so a run cannot be unlucky (or too slow)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

pytestmark = pytest.mark.skipif(
    "HYPOTHESIS_PROFILE" in os.environ, reason="a profile was chosen explicitly"
)


def test_the_ci_profile_is_loaded_by_default() -> None:
    current = settings.default
    assert current is not None
    assert (current.deadline, current.derandomize, current.database) == (None, True, None)


def _draw() -> list[int]:
    drawn: list[int] = []

    @given(st.lists(st.integers(), max_size=5))
    def probe(values: list[int]) -> None:
        drawn.extend(values)

    probe()
    return drawn


def test_two_runs_draw_the_same_examples() -> None:
    first = _draw()
    assert first
    assert _draw() == first
