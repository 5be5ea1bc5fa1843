"""Consequences of a grade (评优, 推荐连任, 约谈): proposed here, decided by a person (PIPL Art. 24).

Nothing in the service acts on a proposal: it is a list for the standing committee, and a
decision is recorded by a named person with a note, accepted or declined.
"""

from __future__ import annotations

from enum import StrEnum

from contracts.vocabulary import DeputyGrade


class Consequence(StrEnum):
    """What a grade may lead to, once a person decides it."""

    commendation = "commendation"  # 评优
    reelection = "reelection"  # 推荐连任
    talk = "talk"  # 约谈


class Decision(StrEnum):
    """A person's decision on a proposal."""

    accepted = "accepted"
    declined = "declined"


LABELS = {
    Consequence.commendation: "评优 (commendation)",
    Consequence.reelection: "推荐连任 (recommended for re-election)",
    Consequence.talk: "约谈 (a talk with the standing committee)",
}

# Derived, the county's to confirm: 优秀 may be commended, 称职 or better recommended again,
# 不称职 invited to a talk (domain.md §3.2: grades feed 评优 and 连任, never automatically).
_BY_GRADE = {
    DeputyGrade.excellent: (Consequence.commendation, Consequence.reelection),
    DeputyGrade.competent: (Consequence.reelection,),
    DeputyGrade.not_competent: (Consequence.talk,),
}


def proposed(grade: DeputyGrade) -> tuple[Consequence, ...]:
    """Return the consequences a grade proposes for a person to decide."""
    return _BY_GRADE[grade]
