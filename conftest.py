"""Pytest set-up for the whole repository: the Hypothesis profile every run uses unless told.

The session's end deletes the topics its tests made on the shared broker (a long-lived dev broker
otherwise keeps a partition directory per test).

``ci`` (the default): no deadline (a loaded 2-core machine is slow, not wrong), derandomized (the
same examples in every run, so CI cannot be unlucky), no example database. ``explore``
(``HYPOTHESIS_PROFILE=explore``) searches with fresh random examples when hunting for bugs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from kit.testing import sweep_topics

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionfinish() -> None:
    """Delete the topics this process's tests made under their prefixes (kit.testing)."""
    sweep_topics()
