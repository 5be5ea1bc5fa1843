"""The closed vocabularies of the events (glossary names); new members are additive changes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from contracts.common import SortedInJson

# --- deputies -------------------------------------------------------------------------------


class TownshipKind(StrEnum):
    """镇 (town, has a township congress) or 街道 (subdistrict, has a working committee)."""

    town = "town"
    subdistrict = "subdistrict"


class Level(StrEnum):
    """The congress a deputy sits in (county / township), or the level organising an activity."""

    county = "county"
    township = "township"


LevelSet = Annotated[frozenset[Level], Field(min_length=1), SortedInJson]
"""One or both levels: a person can be a county and a township deputy at once."""


class ContactField(StrEnum):
    """A contact field a deputy may propose to change (its value never travels in events)."""

    phone = "phone"
    address = "address"


class Gender(StrEnum):
    """Gender as recorded on the roster."""

    male = "male"
    female = "female"


class ElectedBy(StrEnum):
    """How a mandate began: the general election or a by-election (补选)."""

    general = "general"
    by_election = "by_election"


class DeputyStatus(StrEnum):
    """Where a mandate stands."""

    active = "active"
    suspended = "suspended"
    terminated = "terminated"


class StatusReason(StrEnum):
    """Why a status changed: 当选, 补选, 恢复, 羁押, 辞职, 罢免, 调离, 迁出, 死亡, 缺席 (代表法 Art. 62), other."""

    elected = "elected"
    by_election = "by_election"
    reinstated = "reinstated"
    custody = "custody"
    resignation = "resignation"
    recall = "recall"
    transfer = "transfer"
    moved_out = "moved_out"
    death = "death"
    absence = "absence"
    other = "other"


class StationKind(StrEnum):
    """代表之家 (home) / 代表联络站 (station) / 代表联系点 (point)."""

    home = "home"
    station = "station"
    point = "point"


class ActivityType(StrEnum):
    """培训, 接待选民日, 视察, 调研, 执法检查, 工作评议, 人代会, 代表小组活动, 述职, 公益, other."""

    training = "training"
    reception_day = "reception_day"
    inspection = "inspection"
    research = "research"
    law_inspection = "law_inspection"
    work_evaluation = "work_evaluation"
    congress_session = "congress_session"
    deputy_group = "deputy_group"
    report_to_voters = "report_to_voters"
    public_welfare = "public_welfare"
    other = "other"


class Attendance(StrEnum):
    """One deputy at one activity: present, excused leave (请假) or unexcused absence (无故缺席)."""

    present = "present"
    excused = "excused"
    unexcused_absence = "unexcused_absence"


class OutletLevel(StrEnum):
    """Where a manuscript appeared: central, provincial, city, county media or the 人大 system."""

    central = "central"
    provincial = "provincial"
    city = "city"
    county = "county"
    npc_system = "npc_system"


class Placement(StrEnum):
    """头版头条 (front-page headline), a single piece, or part of a combined piece."""

    front_page_headline = "front_page_headline"
    single = "single"
    combined = "combined"


# --- cases ----------------------------------------------------------------------------------


class CaseKind(StrEnum):
    """代表建议 (suggestion) or 选民意见 (opinion)."""

    suggestion = "suggestion"
    opinion = "opinion"


class SuggestionTiming(StrEnum):
    """Filed during the congress session (大会期间) or between sessions (闭会期间)."""

    session = "session"
    between_sessions = "between_sessions"


class OpinionOrigin(StrEnum):
    """How an opinion arrived: a reception day, through a deputy, or the 人大代表之声 channel."""

    reception_day = "reception_day"
    deputy = "deputy"
    deputies_voice = "deputies_voice"


class TriageOutcome(StrEnum):
    """Result of 梳理: answered on the spot, not accepted, merged (并案), turned into a suggestion, accepted."""

    answered_on_spot = "answered_on_spot"
    not_accepted = "not_accepted"
    merged = "merged"
    to_suggestion = "to_suggestion"
    accepted = "accepted"


class NotAcceptedReason(StrEnum):
    """Fixed reasons for not accepting an item (personal matter, judicial case, ...)."""

    personal_matter = "personal_matter"
    judicial_case = "judicial_case"
    in_litigation = "in_litigation"
    outside_jurisdiction = "outside_jurisdiction"
    empty = "empty"
    other = "other"


class HandlingRole(StrEnum):
    """A handling unit (承办单位) leads (主办) or co-handles (会办)."""

    lead = "lead"
    co = "co"


class Clock(StrEnum):
    """Which deadline clock runs: suggestion (3 months), complex (6), rehandling (1), opinion."""

    suggestion = "suggestion"
    complex_suggestion = "complex_suggestion"
    rehandling = "rehandling"
    opinion = "opinion"


class ReplyClass(StrEnum):
    """Reply class: A solved, B being solved, C planned or deferred, D for reference only."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Satisfaction(StrEnum):
    """满意 / 基本满意 / 不满意."""

    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class ReopenReason(StrEnum):
    """Why a case is handled again: unsatisfied feedback, a leader's instruction (批示), other."""

    unsatisfied = "unsatisfied"
    instruction = "instruction"
    other = "other"


class EscalationLevel(StrEnum):
    """The chase (督办) ladder: township chair, county committee, responsible vice-chair."""

    township_chair = "township_chair"
    county_committee = "county_committee"
    vice_chair = "vice_chair"


class TopicOrigin(StrEnum):
    """A supervision topic (监督议题) comes from the annual plan or from a cluster of cases."""

    plan = "plan"
    case_cluster = "case_cluster"


# --- scoring --------------------------------------------------------------------------------


class PointsCategory(StrEnum):
    """What a ledger entry rewards or deducts."""

    base = "base"
    activity = "activity"
    attendance = "attendance"
    unexcused_absence = "unexcused_absence"
    suggestion = "suggestion"
    reply = "reply"
    key_chase = "key_chase"
    other = "other"


class ReviewStage(StrEnum):
    """初审 (first_review, township), 复核 (recheck, county), or a deputy's contest (错重漏)."""

    first_review = "first_review"
    recheck = "recheck"
    contest = "contest"


class ReviewDecision(StrEnum):
    """Outcome of a review step."""

    approved = "approved"
    rejected = "rejected"
    contested = "contested"


class DeputyGrade(StrEnum):
    """优秀 (excellent) / 称职 (competent) / 不称职 (not_competent)."""

    excellent = "excellent"
    competent = "competent"
    not_competent = "not_competent"


class AssessmentGrade(StrEnum):
    """Township assessment: 优秀 (excellent) / 合格 (qualified) / 通报 (criticised)."""

    excellent = "excellent"
    qualified = "qualified"
    criticised = "criticised"


class AssessmentDimension(StrEnum):
    """Dimensions of the township work assessment (镇街人大工作考核)."""

    basic_work = "basic_work"
    supervision = "supervision"
    deputy_work = "deputy_work"
    reception_and_cases = "reception_and_cases"
    highlight = "highlight"
    publicity = "publicity"
    bonus = "bonus"


# --- notify ---------------------------------------------------------------------------------


class Channel(StrEnum):
    """Delivery channel: e-mail, SMS gateway, a group-robot webhook (WeCom/DingTalk), in-app inbox."""

    email = "email"
    sms = "sms"
    webhook = "webhook"
    in_app = "in_app"


class RecipientKind(StrEnum):
    """Who a notification is for."""

    deputy = "deputy"
    handling_unit = "handling_unit"
    staff = "staff"
    constituent = "constituent"


class FailureKind(StrEnum):
    """A permanent failure, or transient failures until the retries ran out."""

    permanent = "permanent"
    retries_exhausted = "retries_exhausted"
