"""What every handler needs: the wiring (``Services``) and who acts (``Caller``).

The kit's ``HandlerContext`` gives ``uow``, ``audit``, ``idempotency``, ``announcements``,
``clock``, ``now()`` and ``today()`` (the China day); this adds the service's tables, its rule
set cache and its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.principal import Principal
from kit.service.context import CallerBase, HandlerContext, new_id
from kit.uow import UnitOfWork
from scoring.adapters.store import RuleSetRow, Store
from scoring.adapters.tables import Tables
from scoring.domain.clauses import clauses
from scoring.domain.documents import parse_rule_set
from scoring.domain.rules import RuleSet
from scoring.metrics import ScoringMetrics

__all__ = ["Caller", "Services", "new_id"]


@dataclass(frozen=True)
class Services(HandlerContext):
    """The wiring handlers run on; built once at start-up."""

    tables: Tables
    metrics: ScoringMetrics
    contest_days: int = 30
    _parsed: dict[tuple[str, int, int], RuleSet] = field(default_factory=dict)
    _capped: dict[tuple[str, int, int], frozenset[str]] = field(default_factory=dict)

    def store(self, uow: UnitOfWork) -> Store:
        """Return the store over a unit of work's session."""
        return Store(uow.session, self.tables)

    def rules(self, row: RuleSetRow) -> RuleSet:
        """Return the parsed rules of a stored rule set (documents are immutable: cached)."""
        key = (row.county, row.year, row.version)
        found = self._parsed.get(key)
        if found is None:
            parsed = parse_rule_set(row.document)
            found = parsed.model_copy(update={"version": row.version})
            self._parsed[key] = found
            self._capped[key] = frozenset(
                c.id for c in clauses(found).values() if c.cap_per_year is not None
            )
        return found

    def capped(self, rules: RuleSet) -> frozenset[str]:
        """Return the ids of a stored rule set's rules with a yearly cap (parsed with it)."""
        key = (rules.county, rules.year, rules.version)
        found = self._capped.get(key)
        if found is None:
            found = frozenset(c.id for c in clauses(rules).values() if c.cap_per_year is not None)
        return found

    def capped_known(self) -> frozenset[str]:
        """Return every capped rule id of the rule sets parsed so far (a batch reads their sums
        with its roster; a rule set parsed by the batch itself adds a read)."""
        return frozenset().union(*self._capped.values())


@dataclass(frozen=True)
class Caller(CallerBase):
    """Who acts, the flow's correlation id and a creating request's Idempotency-Key."""

    principal: Principal

    @property
    def subject(self) -> str:
        """Return the acting user's id."""
        return self.principal.subject
