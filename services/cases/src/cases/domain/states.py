"""Case states, the actions on a case, and which action is possible in which state."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class State(StrEnum):
    """Where a case stands."""

    received = "received"
    answered_on_spot = "answered_on_spot"  # triage: answered on the spot (当场答复)
    not_accepted = "not_accepted"  # triage: reason from a fixed list (不予受理)
    merged = "merged"  # triage: merged into another case (并案)
    to_suggestion = "to_suggestion"  # triage: an opinion turned into a suggestion (转为建议)
    accepted = "accepted"  # triage: accepted, waiting for assignment (交办)
    assigned = "assigned"  # a lead unit is handling it
    returned = "returned"  # the lead unit returned it (退办); waiting for reassignment
    replied = "replied"  # answered (答复); waiting for the deputy's feedback
    rehandling = "rehandling"  # handled again (重新办理) on the re-handling clock
    follow_up = "follow_up"  # B/C reply: followed until solved (跟踪办理), across year ends
    closed = "closed"  # 办结; solved or not is a separate fact


class Action(StrEnum):
    """Everything a person can do to a case; each one is a timeline entry."""

    receive = "receive"
    answer_on_spot = "answer_on_spot"
    not_accept = "not_accept"
    merge = "merge"
    to_suggestion = "to_suggestion"
    accept = "accept"
    absorb = "absorb"  # a surviving case takes in a merged duplicate and its submitters
    assign = "assign"
    return_ = "return"
    extend = "extend"
    designate_key_chase = "designate_key_chase"
    reply = "reply"
    feedback = "feedback"
    resolve = "resolve"  # a follow-up item is reported solved
    carry_over = "carry_over"  # a follow-up item moves into the next year
    reopen = "reopen"  # handled again on a leader's instruction (批示) or another reason
    instruction = "instruction"  # a leader's 批示 noted on a case it changes nothing else on
    recalendar = "recalendar"  # a deadline recounted on an official holiday arrangement
    apply_extension = "apply_extension"  # the lead unit applies for the extension (申请延期)
    refuse_extension = "refuse_extension"  # a county role refuses a pending application
    co_opinion = "co_opinion"  # a co-handler records its own opinion (会办意见)


TRIAGE_OUTCOMES = frozenset(
    {State.answered_on_spot, State.not_accepted, State.merged, State.to_suggestion}
)
"""Triage outcomes that end a case at once; it is closed without being handled."""

FINAL = TRIAGE_OUTCOMES
"""States no action leaves."""

HANDLING = frozenset({State.assigned, State.rehandling})
"""States in which a handling clock runs."""

INTERNAL = frozenset({Action.absorb, Action.instruction, Action.recalendar})
"""Actions taken only as part of another one (a merge absorbs); never offered to a caller."""

TRANSITIONS: Mapping[State, frozenset[Action]] = MappingProxyType(
    {
        State.received: frozenset(
            {
                Action.answer_on_spot,
                Action.not_accept,
                Action.merge,
                Action.to_suggestion,
                Action.accept,
                Action.absorb,
            }
        ),
        State.answered_on_spot: frozenset(),
        State.not_accepted: frozenset(),
        State.merged: frozenset(),
        State.to_suggestion: frozenset(),
        State.accepted: frozenset({Action.assign, Action.absorb, Action.designate_key_chase}),
        State.assigned: frozenset(
            {
                Action.return_,
                Action.extend,
                Action.apply_extension,
                Action.refuse_extension,
                Action.co_opinion,
                Action.designate_key_chase,
                Action.reply,
                Action.absorb,
            }
        ),
        State.returned: frozenset({Action.assign, Action.absorb, Action.designate_key_chase}),
        State.replied: frozenset({Action.feedback}),
        State.rehandling: frozenset(
            {
                Action.extend,
                Action.apply_extension,
                Action.refuse_extension,
                Action.co_opinion,
                Action.designate_key_chase,
                Action.reply,
                Action.absorb,
            }
        ),
        State.follow_up: frozenset(
            {Action.resolve, Action.carry_over, Action.reopen, Action.designate_key_chase}
        ),
        State.closed: frozenset({Action.reopen}),
    }
)
"""Actions each state allows before case-specific rules (kind, flags already used)."""
