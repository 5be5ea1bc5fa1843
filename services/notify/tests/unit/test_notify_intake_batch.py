"""The intake's batch: which events reach anyone, where a run splits, the directory's copy."""

from __future__ import annotations

from contracts.catalog import model_for, new_envelope
from contracts.common import EventData
from kit.runner import Delivery
from notify.adapters.directory import DirectoryCache, Snapshot
from notify.domain.directory import MemoryDirectory
from notify.domain.routes import DEFAULT_ROUTES
from notify.domain.routing import concerns, reads_projection
from notify.handlers.intake import _segments
from notify.templates.samples import TYPICAL


def _data(event_type: str, **changes: object) -> EventData:
    model = model_for(event_type)
    assert model is not None
    return model.model_validate({**TYPICAL[event_type], **changes})


def _delivery(event_type: str, **changes: object) -> Delivery:
    data = _data(event_type, **changes)
    env = new_envelope(data, source="/tests", correlationid="t")
    return Delivery(env, data, "t", 0, 0)  # type: ignore[arg-type]


def test_an_event_whose_routes_all_have_unmet_conditions_reaches_nobody() -> None:
    kept = _data("scoring.points.reviewed", decision="rejected")
    passed = _data("scoring.points.reviewed", decision="approved")
    assert concerns("scoring.points.reviewed", kept, DEFAULT_ROUTES)
    assert not concerns("scoring.points.reviewed", passed, DEFAULT_ROUTES)
    assert not concerns("scoring.score.changed", passed, DEFAULT_ROUTES)


def test_only_types_routed_by_the_case_projection_read_it() -> None:
    assert reads_projection("cases.case.due_date_recomputed", DEFAULT_ROUTES)
    assert reads_projection("cases.supervision.measure_withdrawn", DEFAULT_ROUTES)
    assert not reads_projection("cases.case.assigned", DEFAULT_ROUTES)
    assert not reads_projection("scoring.points.recorded", DEFAULT_ROUTES)


def test_a_run_splits_only_where_a_projected_event_follows_a_projection_reader() -> None:
    submitted = _delivery("cases.suggestion.submitted")
    points = _delivery("scoring.points.recorded")
    recomputed = _delivery("cases.case.due_date_recomputed")
    returned = _delivery("cases.case.returned")
    assigned = _delivery("cases.case.assigned")
    mixed = [submitted, points, assigned, points]
    assert list(_segments(mixed, DEFAULT_ROUTES)) == [mixed]
    run = [submitted, recomputed, points, returned, recomputed, assigned]
    assert list(_segments(run, DEFAULT_ROUTES)) == [
        [submitted, recomputed, points],
        [returned, recomputed],
        [assigned],
    ]


def test_the_copy_holds_for_its_version_and_its_age_only() -> None:
    now = [100.0]
    cache = DirectoryCache(max_age=60.0, clock=lambda: now[0])
    snapshot = Snapshot(MemoryDirectory(), {}, {})
    assert cache.current(3) is None
    cache.keep(3, cache.started(), snapshot)
    assert cache.current(3) is snapshot
    assert cache.current(4) is None  # written since
    assert cache.current(None) is None  # no version row: never trusted
    now[0] = 161.0
    assert cache.current(3) is None  # too old: read again
    cache.keep(None, now[0], snapshot)
    assert cache.current(3) is None
    cache.keep(5, now[0], snapshot)
    cache.clear()
    assert cache.current(5) is None
