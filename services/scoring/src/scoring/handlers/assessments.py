"""Township work assessment (镇街人大工作考核) per year, computed from the stored facts."""

from __future__ import annotations

from kit.errors import NotFoundError
from scoring.domain.access import require_reader
from scoring.domain.assessment import TownshipAssessment, assess
from scoring.domain.documents import default_assessment_rules
from scoring.handlers.context import Caller, Services
from scoring.handlers.rulesets import facts_of


async def county_assessments(
    svc: Services, caller: Caller, scope: str, year: int
) -> list[TownshipAssessment]:
    """Return the assessments of the county's townships in a scope, ranked in the county."""
    require_reader(caller.principal, scope)
    county = scope[:6]
    async with svc.uow() as uow:
        facts = await facts_of(svc, svc.store(uow), county)
    found = assess(facts, default_assessment_rules(county, year))
    return sorted(
        (a for a in found if a.township.startswith(scope)), key=lambda a: (a.rank, a.township)
    )


async def township_assessment(
    svc: Services, caller: Caller, township: str, year: int
) -> TownshipAssessment:
    """Return one township's assessment with its rank in the county."""
    found = await county_assessments(svc, caller, township, year)
    if not found:
        raise NotFoundError(f"no assessment for {township} in {year}")
    return found[0]
