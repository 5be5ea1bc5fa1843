"""Rules read from settings: clock lengths, chase thresholds and ladder, the category list."""

from __future__ import annotations

from cases.domain.categories import DEFAULT_CATEGORIES, Categories
from cases.domain.chasing import ChasePolicy
from cases.domain.clocks import ClockPolicy, days, parse_overrides, parse_span
from cases.domain.workdays import WorkCalendar, parse_official
from cases.settings import CasesSettings
from contracts.vocabulary import EscalationLevel


def clock_policy(settings: CasesSettings) -> ClockPolicy:
    """Return the clock lengths the settings ask for."""
    return ClockPolicy(
        opinion=days(settings.opinion_days),
        assign_window=parse_span(settings.assign_window),
        return_window=parse_span(settings.return_window),
        extension_limit=parse_span(settings.extension_limit),
        by_category=parse_overrides(settings.clock_overrides),
    )


def chase_policy(settings: CasesSettings) -> ChasePolicy:
    """Return the warning thresholds, escalation ladder and reminder start of the settings."""
    try:
        ladder = {EscalationLevel(k): v for k, v in settings.escalation_days.items()}
    except ValueError:
        known = ", ".join(level.value for level in EscalationLevel)
        raise ValueError(f"escalation_days: levels are {known}") from None
    return ChasePolicy(
        warnings=tuple(settings.chase_warnings),
        escalation_after=ladder,
        first_reminder_after=settings.first_reminder_after,
    )


def categories(settings: CasesSettings) -> Categories:
    """Return the controlled list of categories (the built-in one unless configured)."""
    return Categories(settings.categories or DEFAULT_CATEGORIES)


def work_calendar(settings: CasesSettings) -> WorkCalendar:
    """Return the working-day calendar: the official years loaded first, then the library."""
    return WorkCalendar(official=parse_official(settings.official_calendars))
