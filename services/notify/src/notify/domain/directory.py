"""The directory port: who a unit, a deputy or an office is, with their addresses (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from contracts.vocabulary import RecipientKind
from notify.domain.model import Channel, Recipient, RecipientRef

COUNTY_DIGITS = 6


class Office(StrEnum):
    """Offices the routing names by role; the directory knows who holds them where."""

    township_staff = "township_staff"  # 镇人大主席团 / 街道人大工委 staff of the township
    township_chair = "township_chair"  # 人大主席 / 工委主任 of the township
    county_committee = "county_committee"  # 县人大常委会 代工委 staff of the county
    county_staff = "county_staff"  # county deputy-work staff (roster, mandates)
    vice_chair = "vice_chair"  # the vice-chair (分管副主任) responsible for the township


class Directory(Protocol):
    """Looks recipients up; its data comes from projections of deputies' events and notify's API."""

    def unit(self, unit_id: str) -> Recipient | None:
        """Return a handling unit (承办单位) with its office addresses, or None if unknown."""
        ...

    def deputy(self, deputy_id: str) -> Recipient | None:
        """Return a deputy with the addresses notify may use, or None if unknown."""
        ...

    def holders(self, office: Office, township: str) -> Sequence[Recipient]:
        """Return who holds an office for a township (county offices: the township's county)."""
        ...

    def subject(self, kind: SubjectKind, subject_id: str) -> Subject | None:
        """Return what the case projection knows of a case, topic or measure, or None."""
        ...


class MemoryDirectory:
    """A directory held in memory: the seed for tests, demos and a projection's cache."""

    def __init__(
        self,
        recipients: Iterable[Recipient] = (),
        offices: Mapping[tuple[Office, str], Sequence[RecipientRef]] | None = None,
        subjects: Iterable[Subject] = (),
    ) -> None:
        self._by_ref = {r.ref: r for r in recipients}
        self._offices = {key: tuple(refs) for key, refs in (offices or {}).items()}
        self._subjects = {(s.kind, s.id): s for s in subjects}

    def with_subjects(self, subjects: Iterable[Subject]) -> MemoryDirectory:
        """Return this directory knowing some more subjects (a batch's cases) too."""
        found = MemoryDirectory()
        found._by_ref = self._by_ref
        found._offices = self._offices
        found._subjects = {**self._subjects, **{(s.kind, s.id): s for s in subjects}}
        return found

    def subject(self, kind: SubjectKind, subject_id: str) -> Subject | None:
        """Return a known case, topic or measure, or None."""
        return self._subjects.get((kind, subject_id))

    def title(self, subject_id: str) -> str | None:
        """Return the title of a case or topic by id (what messages name it by), or None."""
        for kind in (SubjectKind.case, SubjectKind.topic):
            found = self._subjects.get((kind, subject_id))
            if found is not None and found.title:
                return found.title
        return None

    def unit(self, unit_id: str) -> Recipient | None:
        """Return a handling unit, or None if unknown."""
        return self._by_ref.get(RecipientRef(RecipientKind.handling_unit, unit_id))

    def deputy(self, deputy_id: str) -> Recipient | None:
        """Return a deputy, or None if unknown."""
        return self._by_ref.get(RecipientRef(RecipientKind.deputy, deputy_id))

    def holders(self, office: Office, township: str) -> Sequence[Recipient]:
        """Return the office holders for the township, or for its county (first 6 digits)."""
        refs = self._offices.get((office, township)) or self._offices.get(
            (office, township[:COUNTY_DIGITS]), ()
        )
        return tuple(self._by_ref[ref] for ref in refs if ref in self._by_ref)


# -- what the routing knows of a case, a supervision topic or a measure ---------------------------


class SubjectKind(StrEnum):
    """What a subject of the case projection is."""

    case = "case"  # a suggestion or opinion (建议 / 意见)
    topic = "topic"  # a supervision topic (监督议题)
    measure = "measure"  # a rectification measure of a topic (整改措施)


@dataclass(frozen=True, slots=True)
class Subject:
    """A case, topic or measure as notify's projection of cases.events knows it (no personal data).

    ``lead_unit_id`` is a case's lead unit (主办) or a measure's owner unit; ``deputy_ids`` are the
    deputies behind a case (the filing or receiving deputies, then those of the assignment).
    """

    kind: SubjectKind
    id: str
    township: str
    title: str = ""
    lead_unit_id: str | None = None
    deputy_ids: tuple[str, ...] = ()


# -- entries the API and the import write ----------------------------------------------------------

TOWNSHIP_OFFICES = frozenset({Office.township_staff, Office.township_chair})
"""Offices held for one township; the others are held for a county."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24}$", re.ASCII)
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_ROBOT = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$", re.ASCII)
_COUNTY = re.compile(r"^\d{6}$", re.ASCII)
_TOWNSHIP = re.compile(r"^\d{9}$", re.ASCII)
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$", re.ASCII)
_ID_RULE = "1 to 64 letters, digits or _.:-"

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One field's problem: where and what (never the value: it may be a phone number)."""

    loc: Loc
    msg: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A unit or a staff member as the API and the import write them.

    ``area`` is a unit's county (6 digits) or a staff member's township (9) or county (6);
    ``contacts`` maps a channel to an address, or to None to erase it; a channel left out is
    left as it is.
    """

    kind: RecipientKind
    id: str
    name: str
    area: str
    active: bool = True
    offices: frozenset[Office] = frozenset()
    contacts: Mapping[Channel, str | None] = field(default_factory=dict)

    @property
    def ref(self) -> RecipientRef:
        """Return the recipient the entry is."""
        return RecipientRef(self.kind, self.id)


HIDDEN: dict[str, None] = {f"contacts.{c.value}": None for c in Channel}
"""Addresses in an audit entry's before/after: shown as ``****`` (changed, not to what)."""


def audited_contacts(contacts: Mapping[Channel, str | None]) -> dict[str, str | None]:
    """Return addresses as an audit entry compares them, a field per channel (see HIDDEN)."""
    return {f"contacts.{c.value}": a for c, a in contacts.items()}


def check_address(channel: Channel, address: str) -> str | None:
    """Return what is wrong with an address for a channel, or None when it is usable."""
    if channel is Channel.email and not _EMAIL.fullmatch(address):
        return "not an e-mail address"
    if channel is Channel.sms and not _MOBILE.fullmatch(address):
        return "not a mainland mobile number (11 digits, 1[3-9]…)"
    if channel is Channel.webhook and not _ROBOT.fullmatch(address):
        return "not a robot key (the name of a configured robot)"
    if channel is Channel.in_app:
        return "the in-app inbox needs no address"
    return None


def check_contacts(
    contacts: Mapping[Channel, str | None], at: Loc = ("contacts",)
) -> list[Problem]:
    """Return the problems of a set of addresses."""
    problems: list[Problem] = []
    for channel, address in contacts.items():
        if address is None:
            continue
        wrong = check_address(channel, address)
        if wrong is not None:
            problems.append(Problem((*at, channel.value), wrong))
    return problems


def check_entry(entry: Entry) -> list[Problem]:
    """Return the problems of a unit or staff entry (empty when it may be written)."""
    problems: list[Problem] = []
    if not _ID.fullmatch(entry.id):
        problems.append(Problem(("id",), _ID_RULE))
    if not entry.name.strip() or len(entry.name) > 200:
        problems.append(Problem(("name",), "a name of 1 to 200 characters"))
    if entry.kind is RecipientKind.handling_unit:
        if not _COUNTY.fullmatch(entry.area):
            problems.append(Problem(("county",), "a county code of 6 digits"))
        if entry.offices:
            problems.append(Problem(("offices",), "a unit holds no office"))
    elif entry.kind is RecipientKind.staff:
        if not (_COUNTY.fullmatch(entry.area) or _TOWNSHIP.fullmatch(entry.area)):
            problems.append(Problem(("township",), "a township (9 digits) or county (6) code"))
        at_township = len(entry.area) == TOWNSHIP_DIGITS
        for office in sorted(entry.offices):
            if (office in TOWNSHIP_OFFICES) != at_township:
                where = "a township" if office in TOWNSHIP_OFFICES else "a county"
                problems.append(Problem(("offices",), f"{office.value} is held for {where}"))
    else:
        problems.append(Problem(("kind",), "only units and staff are entered here"))
    return problems + check_contacts(entry.contacts)


def office_scope(entry: Entry) -> str:
    """Return the code an entry's offices are held for: its township, or its county."""
    return entry.area


def may_manage(
    roles: frozenset[str],
    scope: str,
    entry_kind: RecipientKind,
    area: str,
    offices: frozenset[Office],
) -> str | None:
    """Return why a caller may not write an entry (None: it may).

    County staff (``county_admin``) manage units and staff of their county; township staff
    manage their own township's staff and its township offices only.
    """
    inside = area.isdigit() and area.startswith(scope)
    if "county_admin" in roles:
        return None if inside else "this entry is outside your area"
    if "township_staff" in roles and entry_kind is RecipientKind.staff:
        if not inside or len(area) != TOWNSHIP_DIGITS:
            return "township staff manage their own township's staff"
        if not offices <= TOWNSHIP_OFFICES:
            return "county offices are assigned by county staff"
        return None
    return "the directory is managed by county staff (township staff: their township's staff)"


TOWNSHIP_DIGITS = 9


# -- rows of an import file ------------------------------------------------------------------------

OFFICE_LABELS: Mapping[str, Office] = {
    "乡镇人大工作人员": Office.township_staff,
    "人大工作人员": Office.township_staff,
    "人大主席": Office.township_chair,
    "工委主任": Office.township_chair,
    "代工委": Office.county_committee,
    "县人大代工委": Office.county_committee,
    "县代表工作人员": Office.county_staff,
    "分管副主任": Office.vice_chair,
}
"""Chinese names of the offices an import file may use (the English values work too)."""

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "编号", "单位编号", "人员编号", "代表编号", "unit_id", "staff_id", "deputy_id"),
    "name": ("name", "名称", "单位名称", "姓名"),
    "county": ("county", "所属县", "县区划代码"),
    "township": ("township", "乡镇", "所属乡镇", "区划代码"),
    "offices": ("offices", "职务", "职责"),
    "active": ("active", "状态", "在用"),
    Channel.email.value: ("email", "邮箱", "电子邮箱"),
    Channel.sms.value: ("sms", "phone", "手机", "手机号码"),
    Channel.webhook.value: ("webhook", "robot", "机器人"),
}
"""Accepted headers per field (English or Chinese)."""

ERASE = "-"
"""A contact cell holding only ``-`` erases that address; an empty cell leaves it as it is."""

_TRUE = frozenset({"", "1", "true", "yes", "是", "在用", "启用", "有效"})
_FALSE = frozenset({"0", "false", "no", "否", "停用", "无效"})
_SPLIT = re.compile(r"[,，、;；\s]+")


def _column(cells: Mapping[str, str], name: str) -> str:
    for header in COLUMNS[name]:
        for key, value in cells.items():
            if key.strip().lower() == header.lower():
                return value.strip()
    return ""


def _contacts(cells: Mapping[str, str]) -> dict[Channel, str | None]:
    found: dict[Channel, str | None] = {}
    for channel in (Channel.email, Channel.sms, Channel.webhook):
        value = _column(cells, channel.value).replace(" ", "")
        if value == ERASE:
            found[channel] = None
        elif value:
            found[channel] = value
    return found


def missing_columns(kind: RecipientKind, headers: Iterable[str]) -> list[str]:
    """Return the required fields a file's header row lacks."""
    present = {h.strip().lower() for h in headers}
    required = ["id"] if kind is RecipientKind.deputy else ["id", "name"]
    if kind is RecipientKind.staff:
        required.append("township")
    return [name for name in required if not any(a.lower() in present for a in COLUMNS[name])]


def entry_from_row(
    kind: RecipientKind, cells: Mapping[str, str], default_area: str
) -> tuple[Entry, list[Problem]]:
    """Return the entry one import row describes and its problems (a deputy row: contacts only).

    A deputy row reads the id and the addresses only: the roster's other columns (the deputies
    export's 状态, 工作单位及职务, 公民身份号码 …) are ignored and never stored.
    """
    if kind is RecipientKind.deputy:
        deputy = Entry(kind, _column(cells, "id"), "", "", contacts=_contacts(cells))
        wrong = [] if _ID.fullmatch(deputy.id) else [Problem(("id",), _ID_RULE)]
        return deputy, wrong + check_contacts(deputy.contacts)
    problems: list[Problem] = []
    active_text = _column(cells, "active").lower()
    if active_text not in _TRUE | _FALSE:
        problems.append(Problem(("active",), "是/否 (or true/false)"))
    offices: set[Office] = set()
    for word in _SPLIT.split(_column(cells, "offices")):
        if not word:
            continue
        office = OFFICE_LABELS.get(word) or next((o for o in Office if o.value == word), None)
        if office is None:
            problems.append(Problem(("offices",), f"unknown office {word[:20]!r}"))
        else:
            offices.add(office)
    area_field = "county" if kind is RecipientKind.handling_unit else "township"
    entry = Entry(
        kind=kind,
        id=_column(cells, "id"),
        name=_column(cells, "name"),
        area=_column(cells, area_field) or default_area,
        active=active_text not in _FALSE,
        offices=frozenset(offices),
        contacts=_contacts(cells),
    )
    return entry, problems + check_entry(entry)
