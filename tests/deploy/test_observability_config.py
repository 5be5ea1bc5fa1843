"""Prometheus scrape config and alert rules, Grafana provisioning and dashboards: valid and consistent.

Every metric an alert or a panel queries must be one the services really export, with labels it has: the
names and labels are collected from the prometheus-client metrics each service registers when its
composition root wires it (conftest.py), so a typo in a query, or a metric renamed in the code, fails here
instead of drawing an empty graph. Route matchers must match a route of the service named, and every metric
used must be in the contract deploy/OPERATIONS.md documents.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS_YML = DEPLOY / "prometheus" / "prometheus.yml"
ALERTS_YML = DEPLOY / "prometheus" / "alerts.yml"
DATASOURCES_DIR = DEPLOY / "grafana" / "provisioning" / "datasources"
DASHBOARD_PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml"
DASHBOARDS_DIR = DEPLOY / "grafana" / "dashboards"
OPERATIONS = DEPLOY / "OPERATIONS.md"

APP_SERVICES = ("deputies", "cases", "scoring", "notify")
PROCESSES = (
    "notify-sender",
    "cases-relay",
    "notify-relay",
)  # compose services of the image without an API
SEVERITIES = frozenset({"critical", "warning", "info"})

# Series Prometheus makes itself for every target, beside what the services export.
PROMETHEUS_SERIES: dict[str, frozenset[str]] = {"up": frozenset()}
Contract = Mapping[str, frozenset[str]]
TARGET_LABELS = frozenset({"job", "instance"})

REQUIRED_ALERTS = frozenset(
    {
        "NpcServiceDown",
        "NpcOutboxBacklogGrowing",
        "NpcOutboxStuck",
        "NpcConsumerLagHigh",
        "NpcDeadLetters",
        "NpcRelayFailing",
        "NpcHttpErrorRatioHigh",
        "NpcHttpLatencyHigh",
        "NpcOverdueCasesRising",
    }
)

# --- a small PromQL reader: enough to find metric names and label names, not a parser ---------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_SELECTOR = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")
_MATCHER_LABEL = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_IDENT = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"offset", "bool", "inf", "nan", "atan2"}
)
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.+),)?\s*(?P<label>\w+)\s*\)\s*$")


def _blank_strings(expr: str) -> str:
    """Replace string literals by empty ones, so their content is never read as names."""
    return _STRING.sub('""', expr)


def metric_names(expr: str) -> set[str]:
    """Return the series names a PromQL expression selects."""
    text = _blank_strings(expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    return {name for name in _IDENT.findall(text) if name not in _KEYWORDS}


def base_metric(name: str, metrics: Contract) -> str:
    """Fold a histogram's `_bucket`, `_sum` and `_count` series to the histogram's name."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and f"{base}_bucket" in metrics:
            return base
    return name


def label_problems(expr: str, metrics: Contract) -> list[str]:
    """Return the labels an expression matches or groups on that its metrics do not have."""
    text = _blank_strings(expr)
    problems: list[str] = []
    for metric, matchers in _SELECTOR.findall(text):
        allowed = metrics.get(metric, frozenset()) | TARGET_LABELS
        problems += [
            f"{metric} has no label {label!r}"
            for label in _MATCHER_LABEL.findall(matchers)
            if label not in allowed
        ]
    used = metric_names(expr)
    known = set().union(*(metrics.get(m, frozenset()) for m in used)) | TARGET_LABELS
    for group in _GROUPING.findall(text):
        problems += [
            f"grouping on {label!r}, which none of {sorted(used)} has"
            for label in (part.strip() for part in group.split(","))
            if label and label not in known
        ]
    return problems


_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def route_problems(expr: str, routes: Mapping[str, frozenset[str]]) -> list[str]:
    """Return route matchers (`route="…"`, `route=~"…"`) that no route of the named service matches."""
    problems: list[str] = []
    for metric, matchers in _SELECTOR.findall(expr):
        found = {label: (op, value) for label, op, value in _MATCHER.findall(matchers)}
        service, route = found.get("service"), found.get("route")
        if route is None or route[0] not in ("=", "=~") or service is None or service[0] != "=":
            continue
        pattern = route[1].replace("\\\\", "\\") if route[0] == "=~" else re.escape(route[1])
        if not any(re.fullmatch(pattern, path) for path in routes.get(service[1], frozenset())):
            problems.append(f"{metric}: no route of {service[1]} matches {route[1]!r}")
    return problems


def expr_problems(expr: str, metrics: Contract) -> list[str]:
    """Return the unknown metrics and the labels they do not have in one PromQL expression."""
    unknown = sorted(metric_names(expr) - set(metrics))
    problems = [f"unknown metric {name!r}" for name in unknown]
    return problems + label_problems(expr, metrics)


@pytest.fixture(scope="module")
def contract(exported_metrics: dict[str, dict[str, frozenset[str]]]) -> Contract:
    """Every series any service exports (with its labels), and Prometheus's own."""
    merged: dict[str, frozenset[str]] = dict(PROMETHEUS_SERIES)
    for series in exported_metrics.values():
        for name, labels in series.items():
            merged[name] = merged.get(name, frozenset()) | labels
    return merged


# --- loading -----------------------------------------------------------------------------------------


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} should hold a mapping"
    return data


def _compose_services() -> dict[str, Any]:
    services = _yaml(COMPOSE)["services"]
    assert isinstance(services, dict)
    return services


def _rules() -> list[dict[str, Any]]:
    groups = _yaml(ALERTS_YML)["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _datasource_uids() -> set[str]:
    uids: set[str] = set()
    for path in DATASOURCES_DIR.glob("*.y*ml"):
        uids |= {source["uid"] for source in _yaml(path)["datasources"]}
    return uids


def _mount_target(service: str, source: str) -> str:
    for volume in _compose_services()[service].get("volumes", []):
        src, target = str(volume).split(":")[:2]
        if (ROOT / src).resolve() == (ROOT / source).resolve():
            return target
    raise AssertionError(f"{service} does not mount {source}")


def _dashboard_exprs(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield f"panel {panel.get('title')!r}", str(target.get("expr", ""))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        text = str(query.get("query", "")) if isinstance(query, dict) else str(query)
        match = _LABEL_VALUES.match(text)
        yield f"variable {variable['name']!r}", (match["selector"] or "") if match else text


def _duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+)(ms|s|m|h|d)", text)
    assert parts, f"{text!r} is not a Prometheus duration"
    assert "".join(n + u for n, u in parts) == text, f"{text!r} is not a Prometheus duration"
    return sum(int(n) * units[u] for n, u in parts)


# --- the PromQL reader itself can fail -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (service) (rate(kit_http_requests_total{status=~"5.."}[5m]))',
            {"kit_http_requests_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (le) (rate(kit_http_request_seconds_bucket[$__rate_interval])))",
            {"kit_http_request_seconds_bucket"},
        ),
        (
            "max by (township) (cases_overdue_cases) - max by (township) (cases_overdue_cases offset 6h) > 0",
            {"cases_overdue_cases"},
        ),
        ('up{job=~"$service"} == 0', {"up"}),
        (
            "sum(increase(kit_dead_letters_total[$__range])) or vector(0)",
            {"kit_dead_letters_total"},
        ),
        ('kit_outbox_backlgo{service="cases"} > 1e3', {"kit_outbox_backlgo"}),
    ],
)
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_a_typo_in_a_metric_or_label_is_reported(contract: Contract) -> None:
    assert expr_problems("kit_outbox_backlgo > 0", contract) == [
        "unknown metric 'kit_outbox_backlgo'"
    ]
    assert expr_problems('kit_ready{servcie="cases"} == 0', contract) == [
        "kit_ready has no label 'servcie'"
    ]
    assert expr_problems("sum by (servce) (kit_outbox_backlog)", contract) != []
    assert expr_problems("kit_http_request_seconds_total > 0", contract) != []
    assert expr_problems("rate(kit_http_requests[5m])", contract) != [], (
        "a counter is read as _total"
    )
    ok = "sum by (service, le) (rate(kit_http_request_seconds_bucket[5m]))"
    assert expr_problems(ok, contract) == []


def test_the_contract_is_read_from_the_code(
    exported_metrics: dict[str, dict[str, frozenset[str]]],
) -> None:
    """Each service exports the kit's metrics and its own; no service exports another's."""
    for name, series in exported_metrics.items():
        assert series["kit_outbox_backlog"] == {"service"}
        assert series["kit_http_request_seconds_bucket"] == {"service", "route", "le"}
        assert "kit_relay_published_total" in series
        assert "kit_relay_published" not in series
        own = {metric.split("_", 1)[0] for metric in series} - {"kit", "faststream"}
        assert own <= {name}, f"{name} exports {own}"
    assert exported_metrics["notify"]["notify_notifications_total"] == {"channel", "result"}


def test_a_route_matcher_must_match_a_route_of_the_service(
    route_templates: dict[str, frozenset[str]],
) -> None:
    good = 'rate(kit_http_requests_total{service="cases", route=~"/api/v1/(suggestions|opinions)"}[5m])'
    assert route_problems(good, route_templates) == []
    bad = 'rate(kit_http_requests_total{service="cases", route="/api/v1/suggestion"}[5m])'
    assert route_problems(bad, route_templates) != []
    elsewhere = 'rate(kit_http_requests_total{service="notify", route=~"/api/v1/suggestions"}[5m])'
    assert route_problems(elsewhere, route_templates) != []


def _documented() -> dict[str, set[str]]:
    section = OPERATIONS.read_text(encoding="utf-8").split("## Metric contract", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]*) \|", section, flags=re.MULTILINE)
    return {name: {x.strip() for x in labels.split(",") if x.strip()} for name, labels in rows}


def test_the_documented_metrics_are_exported_with_their_labels(contract: Contract) -> None:
    for name, labels in _documented().items():
        series = f"{name}_count" if f"{name}_bucket" in contract else name
        assert series in contract, f"OPERATIONS.md documents {name}, which no service exports"
        assert labels - TARGET_LABELS == contract[series], f"labels of {name}"


def test_every_metric_an_alert_or_a_panel_uses_is_documented(contract: Contract) -> None:
    documented = set(_documented())
    used = {
        base_metric(name, contract)
        for expr in [str(rule["expr"]) for rule in _rules()]
        + [expr for d in _dashboards().values() for _, expr in _dashboard_exprs(d)]
        for name in metric_names(expr)
    }
    assert used <= documented, f"undocumented in OPERATIONS.md: {sorted(used - documented)}"


# --- Prometheus --------------------------------------------------------------------------------------


def test_prometheus_scrapes_every_service_every_five_seconds() -> None:
    config = _yaml(PROMETHEUS_YML)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"prometheus", *APP_SERVICES}
    for name in APP_SERVICES:
        job = jobs[name]
        assert job.get("scrape_interval") == "5s"
        assert job.get("metrics_path", "/metrics") == "/metrics"
        targets = [t for static in job["static_configs"] for t in static["targets"]]
        # a service's processes without an API (notify's sender) are instances of its job
        apart = [f"{p}:8000" for p in PROCESSES if p.startswith(f"{name}-")]
        assert targets == [f"{name}:8000", *apart]
    assert [t for s in jobs["prometheus"]["static_configs"] for t in s["targets"]] == [
        "localhost:9090"
    ]


def test_scrape_targets_are_compose_services_on_their_container_port() -> None:
    services = _compose_services()
    config = _yaml(PROMETHEUS_YML)
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                if host == "localhost":
                    continue
                assert host in services, f"{target} is not a compose service"
                container_ports = {str(p).split(":")[-1] for p in services[host].get("ports", [])}
                container_ports |= {str(p) for p in services[host].get("expose", [])}
                assert port in container_ports, f"{host} does not listen on {port}"


def test_prometheus_loads_the_alert_rules_it_is_given() -> None:
    config = _yaml(PROMETHEUS_YML)
    prometheus = _compose_services()["prometheus"]
    config_dir = _mount_target("prometheus", "deploy/prometheus")
    assert f"--config.file={config_dir}/prometheus.yml" in prometheus["command"]
    rule_files = [PROMETHEUS_YML.parent / name for name in config["rule_files"]]
    assert ALERTS_YML in rule_files
    assert all(path.is_file() for path in rule_files)


def test_every_alert_rule_is_complete() -> None:
    rules = _rules()
    names = [rule.get("alert") for rule in rules]
    assert all(names), "only alerting rules belong in alerts.yml"
    assert len(names) == len(set(names)), "alert names are unique"
    for rule in rules:
        name = rule["alert"]
        assert str(rule.get("expr", "")).strip(), f"{name}: expr"
        assert _duration(str(rule.get("for"))) >= 0, f"{name}: for"
        assert rule.get("labels", {}).get("severity") in SEVERITIES, f"{name}: severity"
        summary = str(rule.get("annotations", {}).get("summary", ""))
        assert re.search(r"[\u4e00-\u9fff]", summary), f"{name}: summary needs Chinese"
        assert re.search(r"[A-Za-z]{3}", summary), f"{name}: summary needs English"


def test_the_platform_alerts_exist_and_are_documented() -> None:
    names = {rule["alert"] for rule in _rules()}
    assert names >= REQUIRED_ALERTS
    ops = OPERATIONS.read_text(encoding="utf-8")
    table = set(re.findall(r"^\| (Npc\w+) \|", ops, flags=re.MULTILINE))
    assert table == names, "OPERATIONS.md lists exactly the alerts of alerts.yml"
    anchors = {
        re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", ops, flags=re.MULTILINE)
    }
    for rule in _rules():
        runbook = str(rule.get("annotations", {}).get("runbook", ""))
        if runbook:
            path, _, anchor = runbook.partition("#")
            assert (ROOT / path).is_file(), f"{rule['alert']}: {runbook}"
            assert anchor in anchors, f"{rule['alert']}: no heading for #{anchor}"


def runbooks() -> dict[str, str]:
    """The entries under `## Runbooks` of OPERATIONS.md: heading (an alert's name) -> text."""
    section = OPERATIONS.read_text(encoding="utf-8").split("\n## Runbooks\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    parts = re.split(r"^### (\S+)\s*$", section, flags=re.MULTILINE)
    return {name: text.strip() for name, text in zip(parts[1::2], parts[2::2], strict=True)}


def runbook_problems(alerts: list[dict[str, Any]], entries: dict[str, str]) -> list[str]:
    """Alerts without a runbook entry that says what to do, or whose annotation links elsewhere."""
    problems: list[str] = []
    for rule in alerts:
        name = str(rule["alert"])
        text = entries.get(name, "")
        if len(text) < 200:
            problems.append(f"{name}: no runbook entry (### {name} under ## Runbooks) or too short")
        link = str(rule.get("annotations", {}).get("runbook", ""))
        if link != f"deploy/OPERATIONS.md#{name.lower()}":
            problems.append(f"{name}: runbook annotation {link!r} is not its entry")
    problems += [
        f"runbook for no alert: {extra}"
        for extra in set(entries) - {str(r["alert"]) for r in alerts}
    ]
    return problems


def test_every_alert_has_a_runbook_entry_and_links_it() -> None:
    assert runbook_problems(_rules(), runbooks()) == []


def test_a_missing_runbook_entry_is_reported() -> None:
    entries = runbooks()
    rule = {"alert": "NpcNew", "annotations": {"runbook": "deploy/OPERATIONS.md#alerts"}}
    assert len(runbook_problems([*_rules(), rule], entries)) == 2
    del entries["NpcOutboxStuck"]
    assert runbook_problems(_rules(), entries) == [
        "NpcOutboxStuck: no runbook entry (### NpcOutboxStuck under ## Runbooks) or too short"
    ]


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: str(rule.get("alert")))
def test_alert_expressions_use_only_exported_metrics(
    rule: dict[str, Any], contract: Contract
) -> None:
    assert expr_problems(str(rule["expr"]), contract) == []


def test_promtool_accepts_config_and_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: ./dev test installs it (apt-get install -y prometheus)"
    for args in (["check", "config", str(PROMETHEUS_YML)], ["check", "rules", str(ALERTS_YML)]):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


# --- Grafana -----------------------------------------------------------------------------------------


def test_grafana_datasource_is_the_compose_prometheus() -> None:
    sources = [s for p in DATASOURCES_DIR.glob("*.y*ml") for s in _yaml(p)["datasources"]]
    assert [s["uid"] for s in sources] == ["prometheus"]
    (source,) = sources
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in _compose_services()
    assert _mount_target("grafana", "deploy/grafana/provisioning") == "/etc/grafana/provisioning"


def test_grafana_loads_dashboards_from_the_mounted_folder() -> None:
    providers = _yaml(DASHBOARD_PROVIDERS)["providers"]
    paths = {provider["options"]["path"] for provider in providers}
    assert paths == {_mount_target("grafana", "deploy/grafana/dashboards")}


def test_the_dashboards_exist_with_unique_uids() -> None:
    dashboards = _dashboards()
    assert set(DASHBOARDS) <= set(dashboards)
    uids = [dashboard.get("uid") for dashboard in dashboards.values()]
    assert all(uids)
    assert len(uids) == len(set(uids))
    for name, dashboard in dashboards.items():
        assert dashboard.get("title"), name
        assert 36 <= int(dashboard.get("schemaVersion", 0)) <= 42, name
        assert dashboard.get("panels"), name


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")))
def test_dashboard_panels_are_well_formed(name: str) -> None:
    dashboard = _dashboards()[name]
    uids = _datasource_uids()
    ids: list[int] = []
    cells: set[tuple[int, int]] = set()
    for panel in _panels(dashboard["panels"]):
        ids.append(panel["id"])
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("h", "w", "x", "y")), panel["title"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, f"{panel['title']!r} overlaps another panel"
        cells |= area
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": panel["datasource"]["uid"]}
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel.get("targets"), f"{panel['title']!r} has no query"
        for target in panel["targets"]:
            assert str(target.get("expr", "")).strip(), panel["title"]
            assert target.get("refId"), panel["title"]
            assert target.get("datasource", panel["datasource"])["uid"] in uids
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            assert variable["datasource"]["uid"] in uids, variable["name"]


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")))
def test_dashboard_queries_use_only_exported_metrics_and_real_routes(
    name: str, contract: Contract, route_templates: dict[str, frozenset[str]]
) -> None:
    problems = [
        f"{where}: {problem}"
        for where, expr in _dashboard_exprs(_dashboards()[name])
        for problem in expr_problems(expr, contract) + route_problems(expr, route_templates)
    ]
    assert problems == []


_GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
}


def _as_promql(expr: str) -> str:
    """A panel's query as Prometheus receives it: Grafana's interval variables and filters filled in."""
    for variable, value in _GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def _promtool_check_exprs(exprs: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run `promtool check rules` on the expressions, each as a recording rule."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: ./dev test installs it (apt-get install -y prometheus)"
    rules = [{"record": f"dashboard_query_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path = folder / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), "utf-8")
    return subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    """Prometheus's own parser reads every panel's query (the name checks above do not parse)."""
    exprs = [
        _as_promql(str(target["expr"]))
        for dashboard in _dashboards().values()
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    assert len(exprs) > 50
    result = _promtool_check_exprs(exprs, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _promtool_check_exprs(["sum by (service) (rate(kit_ready[1m])"], tmp_path)
    assert broken.returncode != 0, "promtool should refuse an unbalanced query"


# What each dashboard is for, and the series it must show for that (issue 12: case handling by township,
# points, deliveries by channel, consumer lag and outbox age per service).
DASHBOARDS: dict[str, set[str]] = {
    "platform-overview.json": {
        "up",
        "kit_ready",
        "kit_http_requests_total",
        "kit_http_request_seconds_bucket",
        "kit_outbox_backlog",
        "kit_outbox_oldest_age_seconds",
        "kit_relay_published_total",
        "kit_consumer_processed_total",
        "kit_consumer_lag_messages",
        "kit_dead_letters_total",
    },
    "cases.json": {
        "cases_open_cases",
        "cases_overdue_cases",
        "cases_chase_announcements_total",
        "cases_fallback_clocks_total",
        "kit_http_requests_total",
    },
    "scoring.json": {
        "scoring_points_awarded_total",
        "scoring_entries_recorded_total",
        "scoring_parked_events",
        "scoring_replay_progress_ratio",
        "scoring_events_not_covered_total",
        "kit_consumer_lag_messages",
    },
    "notify.json": {
        "notify_notifications_total",
        "notify_pending_deliveries",
        "notify_held_deliveries",
        "notify_oldest_pending_seconds",
        "notify_event_to_sent_seconds_bucket",
        "kit_consumer_lag_messages",
    },
    "events.json": {
        "kit_outbox_oldest_age_seconds",
        "kit_outbox_backlog",
        "kit_relay_published_total",
        "kit_relay_failures_total",
        "kit_consumer_lag_messages",
        "kit_consumer_processed_total",
        "kit_consumer_handle_seconds_bucket",
        "kit_dead_letters_total",
    },
}


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_each_dashboard_shows_what_it_is_for(name: str) -> None:
    exprs = [expr for _, expr in _dashboard_exprs(_dashboards()[name])]
    used = set().union(*(metric_names(expr) for expr in exprs))
    assert used >= DASHBOARDS[name], f"{name} misses {sorted(DASHBOARDS[name] - used)}"


def test_per_service_dashboards_split_by_service_and_township() -> None:
    """Outbox age and lag per service; cases and points per township; deliveries per channel."""
    dashboards = _dashboards()

    def grouped(name: str, metric: str) -> set[str]:
        labels: set[str] = set()
        for _, expr in _dashboard_exprs(dashboards[name]):
            if metric in metric_names(expr):
                for group in _GROUPING.findall(expr):
                    labels |= {part.strip() for part in group.split(",")}
        return labels

    assert "service" in grouped("events.json", "kit_outbox_oldest_age_seconds")
    assert "service" in grouped("events.json", "kit_consumer_lag_messages")
    assert "township" in grouped("cases.json", "cases_overdue_cases")
    assert "township" in grouped("scoring.json", "scoring_points_awarded_total")
    assert "category" in grouped("scoring.json", "scoring_entries_recorded_total")
    assert {"channel", "result"} <= grouped("notify.json", "notify_notifications_total")
    assert "channel" in grouped("notify.json", "notify_event_to_sent_seconds_bucket")


# --- the operators' documents link to what exists -----------------------------------------------------

OPERATOR_DOCS = (OPERATIONS, DEPLOY / "k8s" / "README.md")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


@pytest.mark.parametrize("doc", OPERATOR_DOCS, ids=lambda p: p.name)
def test_operator_docs_links_resolve(doc: Path) -> None:
    problems = []
    for link in _LINK.findall(doc.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://")):
            continue
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        if not target.exists():
            problems.append(f"{link}: no file {target}")
        elif (
            anchor
            and target.suffix == ".md"
            and anchor not in _anchors(target.read_text(encoding="utf-8"))
        ):
            problems.append(f"{link}: no heading #{anchor} in {target.name}")
    assert problems == []
