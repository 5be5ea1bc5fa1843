"""The card and the leaderboard read off the totals projection equal the whole county's cards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts import deputies as d
from contracts.envelope import RawEnvelope
from contracts.vocabulary import ActivityType, Attendance, DeputyStatus, StatusReason
from scoring.adapters.store import Ledger
from scoring.domain.scorecard import rank
from scoring.handlers.consume import apply_events
from scoring.handlers.points import _active, _cards
from scoring.testing import events as ev
from scoring.testing.harness import envelope, headers, running_app, settings_for
from scoring.testing.history import mixed_history

pytestmark = pytest.mark.integration

COUNTY = "990101"
YEAR = 2026


async def test_cards_and_leaderboards_equal_the_cards_of_the_whole_ledger(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    history = mixed_history(YEAR, 900, county=COUNTY, towns=2, deputies=6, redeliveries=0.02)
    first = {e.id: e for e in reversed(history.events)}  # the runner's inbox drops redeliveries
    kept = [e for e in history.events if first.pop(e.id, None) is not None]
    kept.append(envelope(ev.deputy("d001-idle", f"{COUNTY}001")))  # on the roster, no lines
    raws = [RawEnvelope.model_validate(e.model_dump(mode="json")) for e in kept]
    async with running_app(settings, relay=False) as (service, client):
        svc = service.services
        for i in range(0, len(raws), 250):  # batches, as the consumer applies them
            async with svc.uow() as uow:
                await apply_events(svc, uow, raws[i : i + 250])
                await uow.commit()
        admin = headers(settings, "county_admin", COUNTY)
        some = await client.get(f"/api/v1/deputies/d001-0/ledger?year={YEAR}", headers=admin)
        entry = some.json()[0]["entry_id"]  # a voided line moves the projection and the ranks
        voided = await client.post(
            f"/api/v1/entries/{entry}/void",
            json={"reason": "重复录入"},
            headers={**admin, "If-Match": '"1"'},
        )
        assert voided.status_code == 200, voided.text

        async with svc.uow() as uow:
            store = svc.store(uow)
            active = await _active(store, COUNTY, YEAR)
            cards, statuses, roster = await _cards(store, svc.rules(active), active, YEAR)
            assert await store.entries(Ledger(COUNTY, YEAR, active.version))
        totals = {d: c.total for d, c in cards.items()}
        assert len(set(totals.values())) > 3  # ranks that mean something
        assert "d001-idle" in cards
        for deputy_id, card in cards.items():
            got = await client.get(
                f"/api/v1/deputies/{deputy_id}/score-card?year={YEAR}", headers=admin
            )
            assert got.status_code == 200, got.text
            body = got.json()
            in_township = {d: t for d, t in totals.items() if roster[d] == roster[deputy_id]}
            assert Decimal(body["total"]) == card.total, deputy_id
            assert body["grade"] == card.grade.value, deputy_id
            assert body["rank_in_county"] == rank(totals)[deputy_id], deputy_id
            assert body["rank_in_township"] == rank(in_township)[deputy_id], deputy_id
            assert [x["entry_id"] for x in body["lines"]] == [e.entry_id for e in card.lines]
            assert {x["entry_id"]: x["status"] for x in body["lines"]} == {
                e.entry_id: statuses[e.entry_id][0] for e in card.lines
            }
        for scope in (COUNTY, f"{COUNTY}001"):
            board = await client.get(
                f"/api/v1/leaderboard?scope={scope}&year={YEAR}", headers=admin
            )
            assert board.status_code == 200, board.text
            mine = {d: t for d, t in totals.items() if roster[d].startswith(scope)}
            expected = sorted(
                (rank(mine)[d], d, cards[d].total, cards[d].grade.value) for d in mine
            )
            got_board = [
                (s["rank"], s["deputy_id"], Decimal(s["total"]), s["grade"]) for s in board.json()
            ]
            assert got_board == expected, scope


async def test_a_deputy_whose_mandate_ended_keeps_the_card_but_is_not_ranked_or_proposed(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    town = f"{COUNTY}001"
    marks = dict.fromkeys(("d1", "d2", "d3"), Attendance.present)
    ended = d.DeputyStatusChanged(
        deputy_id="d2",
        township=town,
        levels=ev.TOWNSHIP_LEVEL,
        from_status=DeputyStatus.active,
        to_status=DeputyStatus.terminated,
        reason=StatusReason.resignation,
        effective_date=date(YEAR, 6, 1),
        aggregate_version=2,
    )
    history = [
        ev.township(town),
        *(ev.deputy(x, town) for x in ("d1", "d2", "d3")),
        ev.logged("a1", town, ActivityType.inspection, date(YEAR, 3, 2), marks),
        ev.logged("a2", town, ActivityType.research, date(YEAR, 4, 2), {"d2": Attendance.present}),
        ended,
    ]
    raws = [RawEnvelope.model_validate(envelope(e).model_dump(mode="json")) for e in history]
    async with running_app(settings, relay=False) as (service, client):
        svc = service.services
        async with svc.uow() as uow:
            await apply_events(svc, uow, raws)
            await uow.commit()
        admin = headers(settings, "county_admin", COUNTY)
        card = (
            await client.get(f"/api/v1/deputies/d2/score-card?year={YEAR}", headers=admin)
        ).json()
        assert Decimal(card["total"]) > Decimal(card["base"])  # the part of the year served counts
        assert (card["rank_in_township"], card["rank_in_county"]) == (None, None)
        board = await client.get(f"/api/v1/leaderboard?scope={COUNTY}&year={YEAR}", headers=admin)
        assert board.status_code == 200, board.text
        assert sorted((s["rank"], s["deputy_id"]) for s in board.json()) == [(1, "d1"), (1, "d3")]
        d1 = (await client.get(f"/api/v1/deputies/d1/score-card?year={YEAR}", headers=admin)).json()
        assert (d1["rank_in_township"], d1["rank_in_county"]) == (1, 1)
        proposed = await client.get(f"/api/v1/proposals?scope={COUNTY}&year={YEAR}", headers=admin)
        assert proposed.status_code == 200, proposed.text
        assert {p["deputy_id"] for p in proposed.json()} <= {"d1", "d3"}
        refused = await client.post(
            "/api/v1/deputies/d2/decisions",
            json={"year": YEAR, "proposal": "talk", "decision": "accepted", "note": "县人大常委会"},
            headers=admin,
        )
        assert refused.status_code == 409, refused.text


async def test_the_leaderboard_names_each_deputy_as_the_newest_roster_record_does(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    town = f"{COUNTY}001"
    marks = dict.fromkeys(("d1", "d2", "d3"), Attendance.present)
    renamed = d.DeputyUpdated(**ev.deputy("d1", town, "王芳芳", version=3).model_dump())
    suspended = d.DeputyStatusChanged(  # older than the rename, read after it; carries no name
        deputy_id="d1",
        township=town,
        levels=ev.TOWNSHIP_LEVEL,
        from_status=DeputyStatus.active,
        to_status=DeputyStatus.active,
        reason=StatusReason.resignation,
        effective_date=date(YEAR, 6, 1),
        aggregate_version=2,
    )
    history = [
        ev.township(town),
        ev.deputy("d1", town, "王芳"),
        ev.deputy("d2", town, "李强"),
        ev.logged("a1", town, ActivityType.inspection, date(YEAR, 3, 2), marks),
        renamed,
        suspended,
        ev.deputy("d3", town, "赵敏"),  # registered after its attendance: parked, then named
    ]
    raws = [RawEnvelope.model_validate(envelope(e).model_dump(mode="json")) for e in history]
    async with running_app(settings, relay=False) as (service, client):
        svc = service.services
        for raw in raws:  # one batch each: the newer name must survive the older status change
            async with svc.uow() as uow:
                await apply_events(svc, uow, [raw])
                await uow.commit()
        admin = headers(settings, "county_admin", COUNTY)
        board = await client.get(f"/api/v1/leaderboard?scope={COUNTY}&year={YEAR}", headers=admin)
        assert board.status_code == 200, board.text
        names = {s["deputy_id"]: s["name"] for s in board.json()}
        assert names == {"d1": "王芳芳", "d2": "李强", "d3": "赵敏"}
