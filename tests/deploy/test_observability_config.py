"""Prometheus scrape config and alert rules, Grafana provisioning and dashboards: valid and consistent.

Every metric an alert or a panel queries must be in the metric contract below (the one deploy/OPERATIONS.md
documents), with labels the metric has, so a typo in a query fails here instead of drawing an empty graph.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
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
SEVERITIES = frozenset({"critical", "warning", "info"})

# The metric contract: name -> labels (Prometheus adds job and instance to every series).
METRICS: dict[str, frozenset[str]] = {
    "up": frozenset(),
    "kit_ready": frozenset({"service"}),
    "kit_broker_up": frozenset({"service"}),
    "kit_http_refusals_total": frozenset({"service", "reason"}),
    "kit_http_unavailable_total": frozenset({"service", "cause"}),
    "kit_outbox_backlog": frozenset({"service"}),
    "kit_outbox_oldest_age_seconds": frozenset({"service"}),
    "kit_relay_published_total": frozenset({"service", "topic"}),
    "kit_relay_failures_total": frozenset({"service"}),
    "kit_consumer_lag_messages": frozenset({"service", "group", "topic", "partition"}),
    "kit_consumer_processed_total": frozenset({"service", "group", "outcome"}),
    "kit_dead_letters_total": frozenset({"service", "group", "topic", "reason"}),
    "kit_consumer_handle_seconds": frozenset({"service", "group"}),
    "kit_http_requests_total": frozenset({"service", "method", "route", "status"}),
    "kit_http_request_seconds": frozenset({"service", "route"}),
    "faststream_published_messages_total": frozenset(
        {"app_name", "broker", "destination", "status"}
    ),
    "cases_open_cases": frozenset({"township"}),
    "cases_overdue_cases": frozenset({"township"}),
    "cases_fallback_clocks_total": frozenset(),
    "notify_notifications_total": frozenset({"channel", "result"}),
    "notify_pending_deliveries": frozenset(),
    "notify_oldest_pending_seconds": frozenset(),
    "notify_held_deliveries": frozenset(),
    "notify_event_to_sent_seconds": frozenset({"channel"}),
    "scoring_points_awarded_total": frozenset({"township"}),
    "scoring_entries_recorded_total": frozenset({"category"}),
    "scoring_events_not_covered_total": frozenset({"event_type"}),
    "scoring_parked_events": frozenset(),
    "scoring_replay_progress_ratio": frozenset(),
}
HISTOGRAMS = frozenset(
    {"kit_consumer_handle_seconds", "kit_http_request_seconds", "notify_event_to_sent_seconds"}
)
TARGET_LABELS = frozenset({"job", "instance"})
HISTOGRAM_SERIES = re.compile(r"^(?P<base>\w+)_(?P<kind>bucket|sum|count)$")

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
    """Return the metric names a PromQL expression selects (histogram series folded to their base)."""
    text = _blank_strings(expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    names = {name for name in _IDENT.findall(text) if name not in _KEYWORDS}
    return {_base_metric(name) for name in names}


def _base_metric(name: str) -> str:
    match = HISTOGRAM_SERIES.match(name)
    if match and match["base"] in HISTOGRAMS:
        return match["base"]
    return name


def label_problems(expr: str) -> list[str]:
    """Return the labels an expression matches or groups on that its metrics do not have."""
    text = _blank_strings(expr)
    problems: list[str] = []
    for metric, matchers in _SELECTOR.findall(text):
        base = _base_metric(metric)
        allowed = METRICS.get(base, frozenset()) | TARGET_LABELS
        if metric != base and metric.endswith("_bucket"):
            allowed |= {"le"}
        problems += [
            f"{metric} has no label {label!r}"
            for label in _MATCHER_LABEL.findall(matchers)
            if label not in allowed
        ]
    used = metric_names(expr)
    known = set().union(*(METRICS.get(m, frozenset()) for m in used)) | TARGET_LABELS
    if used & HISTOGRAMS:
        known.add("le")
    for group in _GROUPING.findall(text):
        problems += [
            f"grouping on {label!r}, which none of {sorted(used)} has"
            for label in (part.strip() for part in group.split(","))
            if label and label not in known
        ]
    return problems


def _expr_problems(expr: str) -> list[str]:
    unknown = sorted(metric_names(expr) - set(METRICS))
    problems = [f"unknown metric {name!r}" for name in unknown]
    return problems + label_problems(expr)


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
            {"kit_http_request_seconds"},
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


def test_a_typo_in_a_metric_or_label_is_reported() -> None:
    assert _expr_problems("kit_outbox_backlgo > 0") == ["unknown metric 'kit_outbox_backlgo'"]
    assert _expr_problems('kit_ready{servcie="cases"} == 0') == ["kit_ready has no label 'servcie'"]
    assert _expr_problems("sum by (servce) (kit_outbox_backlog)") != []
    assert _expr_problems("sum by (service, le) (rate(kit_http_request_seconds_bucket[5m]))") == []


def test_the_metric_contract_is_the_one_operations_documents() -> None:
    section = OPERATIONS.read_text(encoding="utf-8").split("## Metric contract", 1)[1]
    documented = dict(re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]*) \|", section, flags=re.MULTILINE))
    assert set(documented) == set(METRICS)
    for name, labels in documented.items():
        listed = {label.strip() for label in labels.split(",") if label.strip()}
        assert listed - TARGET_LABELS == METRICS[name], f"labels of {name}"


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
        assert targets == [f"{name}:8000"]
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


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: str(rule.get("alert")))
def test_alert_expressions_use_only_contract_metrics(rule: dict[str, Any]) -> None:
    assert _expr_problems(str(rule["expr"])) == []


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


def test_the_two_dashboards_exist_with_unique_uids() -> None:
    dashboards = _dashboards()
    assert {"platform-overview.json", "domain.json"} <= set(dashboards)
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
def test_dashboard_queries_use_only_contract_metrics(name: str) -> None:
    problems = [
        f"{where}: {problem}"
        for where, expr in _dashboard_exprs(_dashboards()[name])
        for problem in _expr_problems(expr)
    ]
    assert problems == []


def test_dashboards_cover_the_platform_and_the_domain() -> None:
    dashboards = _dashboards()

    def used(name: str) -> set[str]:
        return set().union(*(metric_names(e) for _, e in _dashboard_exprs(dashboards[name])))

    assert used("platform-overview.json") >= {
        "up",
        "kit_ready",
        "kit_http_requests_total",
        "kit_http_request_seconds",
        "kit_outbox_backlog",
        "kit_outbox_oldest_age_seconds",
        "kit_relay_published_total",
        "kit_consumer_processed_total",
        "kit_consumer_lag_messages",
        "kit_dead_letters_total",
    }
    assert used("domain.json") >= {
        "cases_open_cases",
        "cases_overdue_cases",
        "notify_notifications_total",
        "scoring_points_awarded_total",
    }
