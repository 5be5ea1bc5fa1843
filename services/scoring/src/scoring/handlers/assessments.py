"""Township work assessment (镇街人大工作考核): per-county rules, the assessment, its publication.

The rules are one versioned document per county and year, managed by the county administration
as the deputies' rule sets are (draft with the path of every error, activate); a county without
its own version is assessed under the seed. Publication stores the county's assessments as they
are and publishes ``scoring.assessment.published`` per township.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import insert, select, update

from kit.errors import FieldError, InputError, NotFoundError, TransitionError
from kit.events import event
from kit.uow import UnitOfWork
from scoring.adapters.store import RuleSetRow
from scoring.domain.access import (
    require_reader,
    require_rule_manager,
    require_rule_reader,
)
from scoring.domain.assessment import TownshipAssessment, assess
from scoring.domain.assessment_rules import AssessmentRules
from scoring.domain.documents import (
    ASSESSMENT_FILE,
    InvalidDocumentError,
    parse_assessment_rules,
)
from scoring.events import assessment_published
from scoring.handlers.context import Caller, Services
from scoring.handlers.ledgers import SOURCE
from scoring.handlers.rulesets import SYSTEM, facts_of


def default_document(county: str, year: int) -> str:
    """Return the seed assessment YAML adopted by a county for a year."""
    seed = resources.files("scoring.rules").joinpath(ASSESSMENT_FILE).read_text("utf-8")
    return f'{seed.rstrip()}\n\ncounty: "{county}"\nyear: {year}\nversion: 1\n'


def _row(values: Any) -> RuleSetRow:
    return RuleSetRow(**dict(values._mapping))


async def _versions(
    svc: Services, uow: UnitOfWork, county: str, year: int | None
) -> list[RuleSetRow]:
    a = svc.tables.assessment_rules
    q = select(a).where(a.c.county == county)
    if year is not None:
        q = q.where(a.c.year == year)
    rows = await uow.session.execute(q.order_by(a.c.year.desc(), a.c.version.desc()))
    return [_row(r) for r in rows]


def _parsed(row: RuleSetRow) -> AssessmentRules:
    return parse_assessment_rules(row.document).model_copy(update={"version": row.version})


async def active_rules(svc: Services, uow: UnitOfWork, county: str, year: int) -> AssessmentRules:
    """Return the county's active assessment rules of a year (the seed when it has none)."""
    for row in await _versions(svc, uow, county, year):
        if row.status == "active":
            return _parsed(row)
    return parse_assessment_rules(default_document(county, year))


async def list_rules(
    svc: Services, caller: Caller, county: str, year: int | None
) -> list[RuleSetRow]:
    """Return a county's assessment rule versions (of a year), newest first."""
    require_rule_reader(caller.principal, county)
    async with svc.uow() as uow:
        return await _versions(svc, uow, county, year)


async def read_rules(
    svc: Services, caller: Caller, county: str, year: int, version: int
) -> RuleSetRow:
    """Return one assessment rule version with its document."""
    require_rule_reader(caller.principal, county)
    async with svc.uow() as uow:
        for row in await _versions(svc, uow, county, year):
            if row.version == version:
                return row
    raise NotFoundError(f"assessment rules {county}/{year}/{version}")


async def create_draft(svc: Services, caller: Caller, county: str, document: str) -> RuleSetRow:
    """Store a valid assessment document as the next draft (422 names the path inside it)."""
    require_rule_manager(caller.principal, county)
    try:
        rules = parse_assessment_rules(document)
    except InvalidDocumentError as error:
        raise InputError(
            [FieldError(("document", *e.loc), e.msg, e.type) for e in error.errors]
        ) from error
    if rules.county != county:
        raise InputError([FieldError(("document", "county"), f"must be {county}", "value_error")])
    now = svc.now()
    async with svc.uow() as uow:
        await svc.store(uow).lock_county(county)
        versions = await _versions(svc, uow, county, rules.year)
        if not versions:  # the seed is version 1, active, so a draft is compared with it
            seed = RuleSetRow(
                county=county,
                year=rules.year,
                version=1,
                status="active",
                title=parse_assessment_rules(default_document(county, rules.year)).title,
                document=default_document(county, rules.year),
                created_by=SYSTEM,
                created_at=now,
                activated_by=SYSTEM,
                activated_at=now,
            )
            await uow.session.execute(insert(svc.tables.assessment_rules).values(**seed.__dict__))
            versions = [seed]
        row = RuleSetRow(
            county=county,
            year=rules.year,
            version=max(v.version for v in versions) + 1,
            status="draft",
            title=rules.title,
            document=document,
            created_by=caller.subject,
            created_at=now,
            activated_by=None,
            activated_at=None,
        )
        await uow.session.execute(insert(svc.tables.assessment_rules).values(**row.__dict__))
        await _audit(svc, uow, caller, row, "create_assessment_rules")
        await uow.commit()
    return row


async def activate(
    svc: Services, caller: Caller, county: str, year: int, version: int
) -> RuleSetRow:
    """Make a draft the county's assessment rules of its year (the previous one retired)."""
    require_rule_manager(caller.principal, county)
    a = svc.tables.assessment_rules
    async with svc.uow() as uow:
        await svc.store(uow).lock_county(county)
        versions = {r.version: r for r in await _versions(svc, uow, county, year)}
        draft = versions.get(version)
        if draft is None:
            raise NotFoundError(f"assessment rules {county}/{year}/{version}")
        if draft.status != "draft":
            raise TransitionError(
                f"version {version} is {draft.status}, not a draft", state=draft.status
            )
        where = (a.c.county == county) & (a.c.year == year)
        await uow.session.execute(
            update(a).where(where, a.c.status == "active").values(status="retired")
        )
        now = svc.now()
        await uow.session.execute(
            update(a)
            .where(where, a.c.version == version)
            .values(status="active", activated_by=caller.subject, activated_at=now)
        )
        row = RuleSetRow(
            **{
                **draft.__dict__,
                "status": "active",
                "activated_by": caller.subject,
                "activated_at": now,
            }
        )
        await _audit(svc, uow, caller, row, "activate_assessment_rules")
        await uow.commit()
    return row


async def _audit(
    svc: Services, uow: UnitOfWork, caller: Caller, row: RuleSetRow, action: str
) -> None:
    await svc.audit.record(
        uow.session,
        actor=caller.principal,
        action=action,
        resource_type="assessment_rules",
        resource_id=f"{row.county}/{row.year}/{row.version}",
        township=row.county,
    )


async def _assess(
    svc: Services, uow: UnitOfWork, county: str, year: int
) -> list[TownshipAssessment]:
    rules = await active_rules(svc, uow, county, year)
    facts = await facts_of(svc, svc.store(uow), county)
    return assess(facts, rules, as_of=svc.today())


async def county_assessments(
    svc: Services, caller: Caller, scope: str, year: int
) -> list[TownshipAssessment]:
    """Return the assessments of the county's townships in a scope, ranked in the county."""
    require_reader(caller.principal, scope)
    async with svc.uow() as uow:
        found = await _assess(svc, uow, scope[:6], year)
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


def assessment_id(township: str, year: int) -> str:
    """Return the id of a township's published assessment of a year."""
    return f"{township}/{year}"


async def publish(
    svc: Services, caller: Caller, county: str, year: int
) -> list[TownshipAssessment]:
    """Publish the county's assessments of a year: snapshot stored, an event per township."""
    require_rule_manager(caller.principal, county)
    p = svc.tables.assessment_publications
    async with svc.uow() as uow:
        await svc.store(uow).lock_county(county)
        if await uow.session.scalar(select(p.c.year).where(p.c.county == county, p.c.year == year)):
            raise TransitionError(
                f"the {year} assessment of {county} is already published", state="published"
            )
        found = sorted(await _assess(svc, uow, county, year), key=lambda a: (a.rank, a.township))
        if not found:
            raise NotFoundError(f"no township of {county} to assess in {year}")
        snapshot = [
            {
                **assessment_published(a, assessment_id(a.township, year)).model_dump(mode="json"),
                "evidence": {
                    d.dimension.value: {x.measure_id: list(x.evidence) for x in d.lines}
                    for d in a.dimensions
                },
            }
            for a in found
        ]
        await uow.session.execute(
            insert(p).values(
                county=county,
                year=year,
                rules_version=found[0].rules_version,
                assessments=snapshot,
                published_by=caller.subject,
                published_at=svc.now(),
            )
        )
        for a in found:
            uow.stage(
                event(assessment_published(a, assessment_id(a.township, year)), source=SOURCE)
            )
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="publish_assessment",
            resource_type="assessment",
            resource_id=f"{county}/{year}",
            township=county,
            detail={"townships": len(found), "rules_version": found[0].rules_version},
        )
        await uow.commit()
    return found


async def published_assessments(
    svc: Services, caller: Caller, scope: str, year: int
) -> dict[str, Any]:
    """Return the published assessment of a year as stored, the townships of a scope only."""
    require_reader(caller.principal, scope)
    p = svc.tables.assessment_publications
    async with svc.uow() as uow:
        row = (
            await uow.session.execute(select(p).where(p.c.county == scope[:6], p.c.year == year))
        ).first()
    if row is None:
        raise NotFoundError(f"the {year} assessment of {scope[:6]} is not published")
    return {
        "county": row.county,
        "year": row.year,
        "rules_version": row.rules_version,
        "published_by": row.published_by,
        "published_at": row.published_at,
        "assessments": [a for a in row.assessments if str(a["township"]).startswith(scope)],
    }
