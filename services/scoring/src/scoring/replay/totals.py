"""The deputy totals of the rebuilt ledgers, counted while the fold writes their entries.

A ledger counted whole (``handlers.totals.refresh_ledger``) reads every entry back; the replay
counts them as they pass instead, with the same pure ``domain.totals.advance`` the consumer
advances its projection with, so memory holds one ``DeputyTotals`` per deputy and ledger, not the
ledger. Review statuses are kept across a replay: a voided entry does not count (nor does its
reversal), a rechecked one counts in the confirmed total too, as on the card (``tally``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from scoring.domain.intake import LedgerKey, Written
from scoring.domain.rules import RuleSet
from scoring.domain.totals import DeputyTotals, advance, fresh


class Counting:
    """Running totals per ledger and deputy of the entries written so far."""

    def __init__(
        self,
        rules: Callable[[LedgerKey], RuleSet],
        *,
        voided: Iterable[str] = (),
        rechecked: Iterable[str] = (),
    ) -> None:
        self.rules = rules
        self.voided = set(voided)
        self.rechecked = set(rechecked)
        self.totals: dict[LedgerKey, dict[str, DeputyTotals]] = {}

    def add(self, written: Iterable[Written]) -> None:
        """Count entries in the order written (each deputy's lines in one ``advance``)."""
        grouped: dict[tuple[LedgerKey, str], list[Written]] = {}
        for w in written:
            grouped.setdefault((w.ledger, w.entry.deputy_id), []).append(w)
        for (key, deputy_id), lines in grouped.items():
            rules = self.rules(key)
            mine = self.totals.setdefault(key, {})
            township = lines[-1].entry.township  # the card's township: its last line's
            before = mine.get(deputy_id) or fresh(deputy_id, township, rules)
            voided, rechecked = self.voided, self.rechecked
            counted = [w.entry for w in lines]
            if voided:  # review statuses are few: most replays have none
                counted = [e for e in counted if e.entry_id not in voided]
            reversed_rules = {
                e.compensates: e.rule_id
                for e in counted
                if e.compensates is not None and e.compensates not in voided
            }
            after = advance(before, counted, reversed_rules, rules)
            sure = Decimal(0)
            if rechecked:
                sure = sum((e.points for e in counted if e.entry_id in rechecked), sure)
            mine[deputy_id] = replace(
                after, township=township, confirmed_total=after.confirmed_total + sure
            )

    def of(self, key: LedgerKey) -> dict[str, DeputyTotals]:
        """Return the totals counted for a ledger, by deputy (graded without a best total)."""
        return self.totals.get(key, {})
