"""A real Prometheus scrapes the four running services; every dashboard panel's query returns data.

Debian's `prometheus` (installed by `./dev test` when missing, like promtool) scrapes the services
every two seconds with the alert rules loaded, while a small county day goes through them: a township, a
deputy and an activity (points), a suggestion assigned to a unit with an e-mail address (a delivery),
a unit without one (a failed delivery) and a poison event (a dead letter). Then every query of every
Grafana panel, with the dashboards' variables at "All", must return at least one series.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from four_services import Running, four_services, logs_dir
from processes import bearer

from cases.testing import bodies as case_bodies
from deputies.testing import bodies as dep_bodies
from kit.auth import Role
from kit.testing import bootstrap_servers, free_port, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
SERVICES = ("deputies", "cases", "scoring", "notify")
COUNTY = "990101"
TOWN = "990101002"
# What Grafana puts in place of the variables with every value selected.
VARIABLES = {
    "$__rate_interval": "1m",
    "$__range": "10m",
    "$township": ".+",
    "$channel": ".+",
    "$service": "|".join(SERVICES),
}


def panel_queries() -> list[tuple[str, str, str]]:
    """Return (dashboard, panel title, expression) for every target of every panel."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        panels: list[dict[str, Any]] = []
        for panel in board.get("panels", []):
            panels += [panel, *panel.get("panels", [])]
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append((path.stem, str(panel.get("title")), str(target["expr"])))
    return found


def resolved(expr: str) -> str:
    """Replace the dashboards' variables by what "All" means."""
    for name in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, VARIABLES[name])
    return expr


def prometheus_binary() -> str:
    """Return the prometheus binary; fail (not skip) with the command that installs it."""
    found = shutil.which("prometheus")
    assert found, "prometheus is missing: `apt-get install -y prometheus` (./dev test does it)"
    return found


@asynccontextmanager
async def prometheus(targets: dict[str, str]) -> AsyncIterator[str]:
    """Run Prometheus scraping `targets` (job → host:port) every two seconds; yield its URL."""
    with tempfile.TemporaryDirectory(prefix="prom-") as tmp:
        config = {
            "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [
                {
                    "job_name": job,
                    # generous for a loaded 2-core machine: a failed scrape makes gauges stale
                    "scrape_interval": "2s",
                    "scrape_timeout": "2s",
                    "static_configs": [{"targets": [target]}],
                }
                for job, target in targets.items()
            ],
        }
        path = Path(tmp) / "prometheus.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            prometheus_binary(),
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp}/data",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url) as client:

                async def ready() -> bool:
                    try:
                        return (await client.get("/-/ready")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(ready, within=30, interval=0.3)
            yield url
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    """Return the instant vector of `expr` (an empty list when no series)."""
    response = await client.get("/api/v1/query", params={"query": expr})
    assert response.status_code == 200, f"{expr}: {response.text}"
    body = response.json()
    assert body["status"] == "success", body
    result = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        return [{"value": result}]
    return list(result)


async def county_day(platform: Running) -> None:
    """Drive a small county day through the public APIs (and one poison event on a topic)."""
    admin = bearer(Role.county_admin, COUNTY)
    async with AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=platform.urls.of(name) + "/api/v1", headers=admin, timeout=30
                )
            )
            for name in SERVICES
        }
        deputies, cases, notify = clients["deputies"], clients["cases"], clients["notify"]
        assert (
            await deputies.post("/townships", json=dep_bodies.township(TOWN))
        ).status_code == 201
        deputy = (await deputies.post("/deputies", json=dep_bodies.deputy(TOWN))).json()
        held = await deputies.post(
            "/activities", json=dep_bodies.activity(TOWN, {deputy["id"]: "present"})
        )
        assert held.status_code == 201, held.text
        for unit_id, name in (("traffic", "县交通运输局"), ("water", "县水利局")):
            made = await cases.post("/units", json=case_bodies.unit(unit_id, name, COUNTY))
            assert made.status_code == 201, made.text
        # notify hears of the units only through its directory: one with an address, one without
        put = await notify.put(
            "/directory/units/traffic",
            json={"name": "县交通运输局", "county": COUNTY, "contacts": {"email": "jt@example.cn"}},
            headers={"If-Match": '"0"'},
        )
        assert put.status_code in (200, 201), put.text

        async def roster_known() -> bool:
            filed = await cases.post(
                "/suggestions", json=case_bodies.suggestion(deputy["id"], TOWN)
            )
            if filed.status_code == 201:
                known.append(filed.json())
                return True
            return False

        known: list[dict[str, Any]] = []
        await wait_until(roster_known, within=60, interval=0.5)
        second = await cases.post("/suggestions", json=case_bodies.suggestion(deputy["id"], TOWN))
        assert second.status_code == 201, second.text
        for case, unit_id in ((known[0], "traffic"), (second.json(), "water")):
            for step, body in (("accept", {}), ("assign", {"lead_unit_id": unit_id})):
                done = await cases.post(
                    f"/cases/{case['case_id']}/{step}",
                    json=body,
                    headers={"If-Match": f'"{case["version"]}"'},
                )
                assert done.status_code == 200, done.text
                case = done.json()
        # the activity's points reach scoring; the township's staff review one (初审)
        scoring = clients["scoring"]
        entries: list[dict[str, Any]] = []

        async def scored() -> bool:
            ledger = await scoring.get(f"/deputies/{deputy['id']}/ledger")
            entries[:] = ledger.json() if ledger.status_code == 200 else []
            return bool(entries)

        await wait_until(scored, within=60, interval=0.5)
        reviewed = await scoring.post(
            f"/entries/{entries[0]['entry_id']}/first-review",
            json={},
            headers={**bearer(Role.township_staff, TOWN), "If-Match": f'"{entries[0]["version"]}"'},
        )
        assert reviewed.status_code == 200, reviewed.text
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        topic = platform.prefix + "deputies.events"
        await producer.send_and_wait(topic, b"not an event", key=b"poison")
    finally:
        await producer.stop()


async def test_prometheus_scrapes_the_platform_and_every_panel_has_data() -> None:
    async with AsyncExitStack() as stack:
        platform = await stack.enter_async_context(four_services(logs_dir(), HURRIED_NOTIFY))
        targets = {name: platform.urls.of(name).removeprefix("http://") for name in SERVICES}
        url = await stack.enter_async_context(prometheus(targets))
        await county_day(platform)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:

            async def all_up() -> bool:
                up = await query(client, "up")
                return len(up) == len(SERVICES) and all(s["value"][1] == "1" for s in up)

            await wait_until(all_up, within=30, interval=0.5)
            queries = panel_queries()
            assert len(queries) >= 60

            async def every_panel_has_data() -> bool:
                missing.clear()
                for board, title, expr in queries:
                    if not await query(client, resolved(expr)):
                        missing.append(f"{board} / {title}: {expr}")
                return not missing

            missing: list[str] = []
            with contextlib.suppress(AssertionError):  # the assertion below names them
                await wait_until(every_panel_has_data, within=60, interval=2)
            assert not missing, "panels without data:\n" + "\n".join(missing)

            # and the day is in the numbers, not only zeros: what happened moved its series
            for moved in (
                f'scoring_points_awarded_total{{township="{TOWN}"}}',
                'notify_notifications_total{channel="email", result="sent"}',
                'notify_notifications_total{result="failed"}',
                'kit_dead_letters_total{service="cases"}',
                'kit_consumer_processed_total{service="scoring", outcome="ok"}',
                'kit_relay_published_total{service="deputies"}',
                f'cases_open_cases{{township="{TOWN}"}}',
            ):
                series = await query(client, f"sum({moved}) > 0")
                assert series, f"{moved} did not move"

            rules = (await client.get("/api/v1/rules")).json()["data"]["groups"]
            loaded = {rule["name"] for group in rules for rule in group["rules"]}
            declared = {
                rule["alert"]
                for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
                for rule in group["rules"]
                if "alert" in rule
            }
            assert declared <= loaded
            health = {rule["health"] for group in rules for rule in group["rules"]}
            assert health <= {"ok", "unknown"}, health


# An assignment is told to the unit at once, not at the next working hour (the test may run at
# night): an operator's routing override, as README "Routing" describes; notify's sender hurried.
HURRIED_NOTIFY = {
    "NOTIFY_JOB_INTERVAL_SECONDS": "0.5",
    "NOTIFY_ROUTES": json.dumps(
        {
            "cases.case.assigned": [
                {
                    "audience": "units",
                    "template": "cases.case.assigned",
                    "field": "units",
                    "role": "lead",
                }
            ]
        }
    ),
}
