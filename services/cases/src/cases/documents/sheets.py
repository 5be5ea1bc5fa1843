"""The 交办单 (assignment sheet) for a unit and the 征询意见表 (feedback form) for a deputy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH

from cases.digest.voices import mask_phones
from cases.documents import layout
from cases.domain.errors import IllegalTransitionError
from cases.domain.model import Case
from cases.domain.records import Unit
from cases.domain.states import Action
from contracts.vocabulary import CaseKind, HandlingRole

KINDS = {CaseKind.suggestion: "代表建议", CaseKind.opinion: "选民意见"}
REPLY_CLASSES = {
    "A": "A类（所提问题已经解决或基本解决）",
    "B": "B类（列入计划逐步解决）",
    "C": "C类（因条件限制暂时难以解决）",
    "D": "D类（作为参考或留作参考）",
}
BOXES = "□满意　　□基本满意　　□不满意"
EXCERPT = 400
"""Characters of the case's content an assignment sheet quotes."""


@dataclass(frozen=True)
class Names:
    """Names to print instead of codes: the county (issuer), townships and deputies."""

    county: str
    townships: Mapping[str, str]
    deputies: Mapping[str, str]

    def township(self, code: str) -> str:
        """Return a township's name (its code when unknown)."""
        return self.townships.get(code, code)

    def people(self, ids: tuple[str, ...]) -> str:
        """Return deputies' names joined by 、 (their ids when unknown)."""
        return "、".join(self.deputies.get(d, d) for d in ids)


def _clip(text: str, limit: int) -> str:
    text = mask_phones(" ".join(text.split()))  # a printed sheet travels: no phone in clear
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(case: Case) -> str:
    return case.number.label if case.number else "（未编号）"


def _units(units: tuple[Unit, ...]) -> str:
    return "、".join(u.name for u in units) or "—"


def assignment_sheet(case: Case, names: Names, today: date) -> bytes:
    """Return the 交办单 of an assigned case: what the lead unit and co-handlers are to do, by when."""
    lead = case.lead
    if lead is None or case.assigned_on is None or case.due_on is None:
        raise IllegalTransitionError(case.state, Action.assign, [], "the case is not assigned")
    document = layout.new_document()
    layout.title(document, f"{names.county}人大代表建议、意见交办单")
    layout.line(document, f"编号：{_number(case)}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    co = tuple(u for u in case.units if u.role is HandlingRole.co)
    submitter = "提出代表" if case.kind is CaseKind.suggestion else "接待代表"
    layout.grid(
        document,
        [
            ["类　　别", f"{KINDS[case.kind]}（{case.category}）"],
            ["标　　题", case.title],
            [submitter, names.people(case.deputy_ids)],
            ["所属镇街", names.township(case.township)],
            ["主办单位", lead.name],
            ["会办单位", _units(co)],
            ["交办日期", layout.chinese_date(case.assigned_on)],
            ["答复期限", layout.chinese_date(case.due_on)],
            [
                "主要内容",
                "（代表要求保密，内容请在系统中查阅）"
                if case.confidential
                else _clip(case.content, EXCERPT),
            ],
        ],
        widths=(35, 121),
    )
    layout.heading(document, "办理要求")
    for text in (
        f"一、请主办单位于{layout.chinese_date(case.due_on)}前书面答复代表，并在系统中登记答复及分类（A/B/C/D）。",
        "二、会办单位应主动配合主办单位，在答复期限前提出会办意见。",
        "三、如不属于本单位职责，请在交办之日起7个工作日内在系统中说明理由并退回。",
        "四、选民联系方式等个人信息请在系统中查阅，不得外传。",
    ):
        layout.line(document, text, indent=True)
    layout.signature(document, f"{names.county}人大常委会", layout.chinese_date(today))
    return layout.to_bytes(document)


def feedback_form(case: Case, names: Names, today: date) -> bytes:
    """Return the 征询意见表 the submitting deputy fills in on the latest reply."""
    reply = case.last_reply
    if reply is None:
        raise IllegalTransitionError(case.state, Action.feedback, [], "the case has no reply yet")
    unit = next((u.name for u in case.units if u.unit_id == reply.unit_id), reply.unit_id)
    document = layout.new_document()
    layout.title(document, f"{names.county}人大代表建议、意见办理情况征询意见表")
    layout.line(document, f"编号：{_number(case)}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    layout.grid(
        document,
        [
            ["标　　题", case.title],
            ["代　　表", names.people(case.deputy_ids[:1])],
            ["主办单位", unit],
            ["答复日期", layout.chinese_date(reply.replied_on)],
            ["答复类别", REPLY_CLASSES.get(reply.reply_class.value, reply.reply_class.value)],
            [
                "办理轮次",
                "第一次办理" if reply.round == 1 else f"第{reply.round}次办理（重新办理）",
            ],
            ["办理态度", BOXES],
            ["办理结果", BOXES],
            ["意见和建议", "\n\n\n"],
            ["代表签名", "\n　　　　　　　　　　　　　年　　月　　日"],
        ],
        widths=(35, 121),
    )
    layout.line(document)
    layout.line(
        document,
        "请代表在收到答复后一个月内填写本表，在系统中提交评价或交所在镇街人大工作机构。",
        indent=True,
    )
    layout.signature(document, f"{names.county}人大常委会", layout.chinese_date(today))
    return layout.to_bytes(document)
