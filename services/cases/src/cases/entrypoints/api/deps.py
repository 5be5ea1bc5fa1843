"""Request plumbing of the routes: who calls, a creating request's Idempotency-Key, a period."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from cases.handlers.context import Caller
from cases.handlers.exports import Period
from contracts.vocabulary import CaseKind
from kit.principal import Principal
from kit.service.api import caller_dependency, keyed


def caller_of(principal: Principal) -> Caller:
    """Return the service's caller for a verified principal."""
    return Caller(principal=principal)


get_caller = caller_dependency(caller_of)
CallerDep = Annotated[Caller, Depends(get_caller)]


def period_query(
    scope: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    period_start: date | None = None,
    period_end: date | None = None,
    kind: CaseKind | None = None,
) -> Period:
    """Return what statistics cover, from the query: an area, a period, a kind of case."""
    return Period(scope, period_start, period_end, kind)


PeriodQuery = Annotated[Period, Depends(period_query)]

__all__ = ["CallerDep", "PeriodQuery", "caller_of", "get_caller", "keyed"]
