"""Print a case's 交办单 or 征询意见表: read as the case is read, audited as an export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from cases.documents.sheets import Names, assignment_sheet, feedback_form
from cases.domain.errors import NotFoundError
from cases.domain.model import Case
from cases.domain.numbering import county_label, county_of
from cases.handlers.context import Caller, Services
from cases.handlers.steps import audit, visible

Render = Callable[[Case, Names, date], bytes]
DOCUMENTS: dict[str, Render] = {
    "assignment-sheet": assignment_sheet,
    "feedback-form": feedback_form,
}
"""Every printable document of a case, by the name its route uses."""


async def print_case_document(
    svc: Services, caller: Caller, case_id: str, document: str
) -> tuple[Case, bytes]:
    """Return the case and its document as .docx bytes; the print is an audit entry."""
    render = DOCUMENTS.get(document)
    if render is None:
        raise NotFoundError(f"document {document}")
    async with svc.uow() as uow:
        store = svc.store(uow)
        case = visible(caller, await store.case(case_id), case_id)
        t = svc.tables
        towns = await uow.session.execute(
            select(t.townships.c.code, t.townships.c.name).where(
                t.townships.c.code == case.township
            )
        )
        people = await uow.session.execute(
            select(t.deputies.c.deputy_id, t.deputies.c.name).where(
                t.deputies.c.deputy_id.in_(case.deputy_ids)
            )
        )
        county = county_of(case.township)
        names = Names(
            county=svc.county_names.get(county) or county_label(county, svc.county_names),
            townships=dict(towns.tuples().all()),
            deputies=dict(people.tuples().all()),
        )
        data = render(case, names, svc.today())
        audit(svc, uow, caller, case, f"print_{document.replace('-', '_')}")
        await uow.commit()
    return case, data
