"""docker-compose.yml, deploy/Dockerfile and deploy/OPERATIONS.md agree with each other and with the platform."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from contracts import topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
OPERATIONS = ROOT / "deploy" / "OPERATIONS.md"
INIT_SQL = ROOT / "deploy" / "postgres" / "init" / "01-databases.sql"

APP_SERVICES = ("deputies", "cases", "scoring", "notify")
PROCESSES = (
    "notify-sender",
    "cases-relay",
    "notify-relay",
)  # the image with another command: no API, the kit's probes
INFRA_SERVICES = ("kafka", "kafka-init", "postgres", "prometheus", "grafana", "mailpit", "jaeger")
ONE_SHOT = frozenset({"kafka-init"})
# Host ports as OPERATIONS.md promises them; the container port of every service is 8000.
EXPECTED_PORTS = {
    "deputies": 8001,
    "cases": 8002,
    "scoring": 8003,
    "notify": 8004,
    "prometheus": 9090,
    "grafana": 3000,
    "mailpit": 8025,
    "jaeger": 16686,
    "postgres": 5432,
    "kafka": 9092,
}
STATEFUL_VOLUMES = {
    "kafka": "/var/lib/kafka/data",
    "postgres": "/var/lib/postgresql/data",
    "prometheus": "/prometheus",
    "grafana": "/var/lib/grafana",
}


def _mapping(value: object, what: str) -> dict[str, Any]:
    assert isinstance(value, dict), f"{what} should be a mapping, got {type(value).__name__}"
    return value


def _compose() -> dict[str, Any]:
    return _mapping(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")), "docker-compose.yml")


def _services() -> dict[str, dict[str, Any]]:
    services = _mapping(_compose().get("services"), "services")
    return {name: _mapping(spec, name) for name, spec in services.items()}


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _published_ports(service: dict[str, Any]) -> dict[int, int]:
    """Map host port -> container port for the short (`"8001:8000"`) and long port syntax."""
    published: dict[int, int] = {}
    for port in service.get("ports", []):
        if isinstance(port, dict):
            published[int(port["published"])] = int(port["target"])
            continue
        parts = str(port).split(":")
        assert len(parts) in (2, 3), f"port {port!r} should name the host port explicitly"
        published[int(parts[-2])] = int(parts[-1].split("/")[0])
    return published


def _duration_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    assert parts, f"{text!r} is not a compose duration"
    assert "".join(n + u for n, u in parts) == text, f"{text!r} is not a compose duration"
    return sum(float(n) * units[u] for n, u in parts)


def _healthcheck_test(service: dict[str, Any]) -> str:
    check = _mapping(service.get("healthcheck"), "healthcheck")
    assert not check.get("disable"), "healthcheck disabled"
    test = check.get("test")
    assert test, "healthcheck without a test"
    if isinstance(test, list):
        assert test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test should start with CMD: {test}"
        return " ".join(str(part) for part in test[1:])
    return str(test)


def _documented_ports() -> dict[str, int]:
    """The `| component | host port | URL |` table of OPERATIONS.md."""
    section = (
        OPERATIONS.read_text(encoding="utf-8").split("## Ports and URLs", 1)[1].split("\n## ", 1)[0]
    )
    rows = re.findall(r"^\|\s*([\w-]+)\s*\|\s*(\d+)\s*\|", section, flags=re.MULTILINE)
    return {name: int(port) for name, port in rows}


def test_compose_has_no_version_key_and_a_project_name() -> None:
    compose = _compose()
    assert "version" not in compose, "the Compose Specification has no `version:`"
    assert compose.get("name"), "a fixed project name keeps container and volume names stable"


def test_every_expected_service_exists() -> None:
    missing = set(APP_SERVICES + PROCESSES + INFRA_SERVICES) - set(_services())
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize(
    "name", [s for s in APP_SERVICES + PROCESSES + INFRA_SERVICES if s not in ONE_SHOT]
)
def test_long_running_services_have_a_healthcheck_and_restart(name: str) -> None:
    service = _services()[name]
    assert _healthcheck_test(service).strip()
    assert service.get("restart") == "unless-stopped", f"{name} should come back after a crash"


def test_one_shot_kafka_init_does_not_restart() -> None:
    assert str(_services()["kafka-init"].get("restart", "no")) == "no"


def test_published_ports_are_the_documented_ones() -> None:
    services = _services()
    actual = {
        name: sorted(_published_ports(spec)) for name, spec in services.items() if spec.get("ports")
    }
    expected = {name: [port] for name, port in EXPECTED_PORTS.items()}
    assert actual == expected
    assert _documented_ports() == EXPECTED_PORTS, "OPERATIONS.md's port table disagrees"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_its_module_from_the_one_image(name: str) -> None:
    service = _services()[name]
    build = _mapping(service.get("build"), f"{name}.build")
    assert (ROOT / build.get("context", ".") / build["dockerfile"]).resolve() == DOCKERFILE
    assert service.get("command") == ["python", "-m", name]
    assert _published_ports(service) == {EXPECTED_PORTS[name]: 8000}
    assert _duration_seconds(str(service.get("stop_grace_period"))) >= 30


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_environment(name: str) -> None:
    services = _services()
    env = _env(services[name])
    assert env["DATABASE_URL"] == f"postgresql+asyncpg://npc:npc@postgres:5432/{name}"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
    assert env["JWT_SECRET"].startswith(
        "${JWT_SECRET:?"
    )  # no default: a missing secret stops compose
    assert env["LOG_FORMAT"] == "json"
    # The settings default to 127.0.0.1 (unreachable from other containers) and, for deputies, 8001.
    assert env["HTTP_HOST"] == "0.0.0.0"
    assert env["HTTP_PORT"] == "8000"


def test_database_urls_reach_the_compose_postgres_with_its_credentials() -> None:
    services = _services()
    pg_env = _env(services["postgres"])
    for name in APP_SERVICES:
        url = urlsplit(_env(services[name])["DATABASE_URL"].replace("+asyncpg", ""))
        assert (url.hostname, url.port) == ("postgres", 5432)
        assert (url.username, url.password) == (
            pg_env["POSTGRES_USER"],
            pg_env["POSTGRES_PASSWORD"],
        )


def test_kafka_bootstrap_is_an_advertised_listener_of_the_kafka_service() -> None:
    kafka_env = _env(_services()["kafka"])
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "PLAINTEXT://kafka:19092" in advertised
    assert "PLAINTEXT_HOST://localhost:9092" in advertised
    assert "PLAINTEXT://:19092" in kafka_env["KAFKA_LISTENERS"].split(",")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_kafka_and_postgres_and_the_topics(name: str) -> None:
    depends = _mapping(_services()[name].get("depends_on"), f"{name}.depends_on")
    conditions = {dep: _mapping(spec, dep).get("condition") for dep, spec in depends.items()}
    assert conditions["kafka"] == "service_healthy"
    assert conditions["postgres"] == "service_healthy"
    assert conditions["kafka-init"] == "service_completed_successfully"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_healthcheck_asks_readyz_with_python(name: str) -> None:
    test = _healthcheck_test(_services()[name])
    assert "python" in test
    assert "urllib" in test
    assert "curl" not in test, "the slim image has no curl"
    assert "http://127.0.0.1:8000/readyz" in test


def test_notify_sends_mail_to_mailpit() -> None:
    services = _services()
    notify = services["notify"]
    env = _env(notify)
    assert env["SMTP_HOST"] == "mailpit"
    assert env["SMTP_PORT"] == "1025"
    depends = _mapping(notify.get("depends_on"), "notify.depends_on")
    assert _mapping(depends["mailpit"], "mailpit").get("condition") == "service_healthy"
    assert "1025" in [str(port) for port in services["mailpit"].get("expose", [])]


def test_notify_sender_runs_apart_on_notifys_database_and_mailpit(
    setting_names: dict[str, frozenset[str]],
    load_settings: Callable[[str, dict[str, str]], dict[str, object]],
) -> None:
    services = _services()
    sender, notify = services["notify-sender"], services["notify"]
    assert sender.get("command") == ["python", "-m", "notify", "sender"]
    assert sender.get("image") == notify.get("image")
    assert "ports" not in sender, "the sender has no API to publish"
    assert _duration_seconds(str(sender.get("stop_grace_period"))) >= 30
    env = _env(sender)
    unknown = set(env) - setting_names["notify"] - set(EXTERNAL_VARIABLES)
    assert not unknown, f"notify-sender: not settings of notify: {sorted(unknown)}"
    for key in ("DATABASE_URL", "SMTP_HOST", "SMTP_PORT", "KAFKA_BOOTSTRAP_SERVERS"):
        assert env[key] == _env(notify)[key], key
    secret = {"JWT_SECRET": "s" * 40}
    values = {key: _interpolated(value, secret) for key, value in env.items()}
    assert load_settings("notify", values)["sender_in_process"] is True
    notify_values = {key: _interpolated(value, secret) for key, value in _env(notify).items()}
    assert load_settings("notify", notify_values)["sender_in_process"] is False
    depends = _mapping(sender.get("depends_on"), "notify-sender.depends_on")
    conditions = {dep: _mapping(spec, dep).get("condition") for dep, spec in depends.items()}
    assert conditions["notify"] == "service_healthy", "notify migrates the database first"
    assert conditions["mailpit"] == "service_healthy"
    # the process serves the kit's probes (test_notify_sender_process asks them of the real one)
    assert "http://127.0.0.1:8000/readyz" in _healthcheck_test(sender)


@pytest.mark.parametrize("service", ["cases", "notify"])
def test_a_relay_runs_apart_on_its_services_database_and_settings(
    service: str,
    setting_names: dict[str, frozenset[str]],
    load_settings: Callable[[str, dict[str, str]], dict[str, object]],
) -> None:
    services = _services()
    relay, app = services[f"{service}-relay"], services[service]
    assert relay.get("command") == ["python", "-m", service, "relay"]
    assert relay.get("image") == app.get("image")
    assert "ports" not in relay, "the relay has no API to publish"
    assert _duration_seconds(str(relay.get("stop_grace_period"))) >= 30
    env, app_env = _env(relay), _env(app)
    unknown = set(env) - setting_names[service] - set(EXTERNAL_VARIABLES)
    assert not unknown, f"{service}-relay: not settings of {service}: {sorted(unknown)}"
    assert {k: v for k, v in app_env.items() if k != "RELAY_IN_PROCESS"} == env, (
        f"the relay builds {service}'s app: the same settings"
    )
    secret = {"JWT_SECRET": "s" * 40}
    values = {key: _interpolated(value, secret) for key, value in app_env.items()}
    assert load_settings(service, values)["relay_in_process"] is False
    depends = _mapping(relay.get("depends_on"), f"{service}-relay.depends_on")
    conditions = {dep: _mapping(spec, dep).get("condition") for dep, spec in depends.items()}
    assert conditions[service] == "service_healthy", f"{service} migrates the database first"
    assert conditions["kafka-init"] == "service_completed_successfully"
    # the process serves the kit's probes (test_cases_relay_process asks them of the real one)
    assert "http://127.0.0.1:8000/readyz" in _healthcheck_test(relay)


def test_kafka_is_a_4x_kraft_combined_node() -> None:
    kafka = _services()["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", str(kafka.get("image"))), kafka.get("image")
    env = _env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["CLUSTER_ID"], "a fixed cluster id keeps the formatted volume usable"
    assert env["KAFKA_NUM_PARTITIONS"] == "6"
    assert env["KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert "kafka-broker-api-versions.sh" in _healthcheck_test(kafka)


def test_kafka_init_creates_every_contract_topic_with_six_partitions() -> None:
    init = _services()["kafka-init"]
    assert init.get("image") == _services()["kafka"].get("image")
    depends = _mapping(init.get("depends_on"), "kafka-init.depends_on")
    assert _mapping(depends["kafka"], "kafka").get("condition") == "service_healthy"
    env = _env(init)
    assert tuple(env["TOPICS"].split()) == topics.ALL
    assert env["PARTITIONS"] == "6"
    script = " ".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "--create --if-not-exists" in script
    assert "kafka:19092" in script


def test_postgres_creates_the_service_databases_on_first_start() -> None:
    services = _services()
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:17(\.\d+)?", str(postgres.get("image")))
    assert "pg_isready" in _healthcheck_test(postgres)
    mounts = {
        target: source
        for source, target, *_ in (str(v).split(":") for v in postgres.get("volumes", []))
    }
    assert (ROOT / mounts["/docker-entrypoint-initdb.d"]).resolve() == INIT_SQL.parent
    created = set(re.findall(r"\('(\w+)'\)", INIT_SQL.read_text(encoding="utf-8")))
    wanted = {
        urlsplit(_env(services[name])["DATABASE_URL"]).path.lstrip("/") for name in APP_SERVICES
    }
    assert created == wanted


def test_named_volumes_are_declared_and_hold_the_state() -> None:
    declared = set(_mapping(_compose().get("volumes"), "volumes"))
    named: set[tuple[str, str]] = set()  # (service, mount target) of every named volume
    used: set[str] = set()
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source, target = str(volume).split(":")[:2]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts a missing path {source}"
            else:
                used.add(source)
                named.add((name, target))
    assert used == declared, "every named volume is declared and used"
    assert set(STATEFUL_VOLUMES.items()) <= named, "state lives in named volumes"


def test_dockerfile_builds_one_non_root_image_of_the_workspace() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, flags=re.MULTILINE)
    assert "uv sync --frozen --no-dev" in text
    assert re.search(r"^EXPOSE 8000$", text, flags=re.MULTILINE)
    assert re.search(r"^ENV PATH=/app/\.venv/bin:\$PATH", text, flags=re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", text, flags=re.MULTILINE)
    assert users, "the image should not run as root"
    assert users[-1] not in ("root", "0")
    healthcheck = text.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert "/livez" in healthcheck
    assert "urllib" in healthcheck
    copied = set(re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+)/ ", text, flags=re.MULTILINE))
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members = root["tool"]["uv"]["workspace"]["members"]
    for member in members:
        assert member.split("/")[0] in copied, f"the image misses workspace member {member}"


def test_dockerignore_keeps_local_state_out_but_not_the_sources() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".local", ".git"} <= ignored
    for needed in ("pyproject.toml", "uv.lock", "contracts", "kit", "services"):
        assert needed not in ignored


def test_compose_checks_detect_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above fail when a service loses its healthcheck or its port moves."""
    broken = _compose()
    del broken["services"]["cases"]["healthcheck"]
    broken["services"]["scoring"]["ports"] = ["8013:8000"]
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "COMPOSE", path)
    with pytest.raises(AssertionError):
        test_long_running_services_have_a_healthcheck_and_restart("cases")
    with pytest.raises(AssertionError):
        test_published_ports_are_the_documented_ones()


# Variables a service reads that are not its pydantic settings, and the code that reads them.
EXTERNAL_VARIABLES = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": ("kit.tracing", "opentelemetry.sdk.environment_variables"),
    "PROMETHEUS_DISABLE_CREATED_SERIES": ("prometheus_client.metrics",),
}
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _interpolated(value: str, environ: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` with the given environment."""

    def one(match: re.Match[str]) -> str:
        name, default = match[1], match[2] or ""
        if name in environ:
            return environ[name]
        assert "?" not in match[0], f"{name} is required by docker-compose.yml"
        return default

    return _INTERPOLATION.sub(one, value)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_is_a_setting_of_the_service_and_valid(
    name: str,
    setting_names: dict[str, frozenset[str]],
    load_settings: Callable[[str, dict[str, str]], dict[str, object]],
) -> None:
    env = _env(_services()[name])
    unknown = set(env) - setting_names[name] - set(EXTERNAL_VARIABLES)
    assert not unknown, f"{name}: not settings of the service: {sorted(unknown)}"
    values = {key: _interpolated(value, {"JWT_SECRET": "s" * 40}) for key, value in env.items()}
    settings = load_settings(name, values)  # raises when a value does not validate
    assert settings["http_port"] == 8000
    assert settings["http_host"] == "0.0.0.0"
    assert settings["kafka_topic_partitions"] == 6
    assert not settings["dev_mode"], "compose runs like production: a real JWT_SECRET, no DEV_MODE"
    with pytest.raises(AssertionError, match="JWT_SECRET is required"):
        _interpolated(env["JWT_SECRET"], {})


def test_variables_outside_the_settings_are_read_by_the_code_named() -> None:
    for variable, modules in EXTERNAL_VARIABLES.items():
        for module in modules:
            spec = importlib.util.find_spec(module)
            assert spec is not None, module
            assert spec.origin, module
            assert variable in Path(spec.origin).read_text(encoding="utf-8"), (variable, module)


def test_a_misspelt_variable_is_not_a_setting(setting_names: dict[str, frozenset[str]]) -> None:
    assert "SMTP_HOST" in setting_names["notify"]
    assert "NOTIFY_SMTP_HOST" in setting_names["notify"]
    assert "SMTP_HOST" not in setting_names["cases"]
    assert "DATABSE_URL" not in setting_names["cases"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_healthchecks_ask_public_routes_of_the_service(
    name: str, http_get: Callable[[str, str], int]
) -> None:
    paths = re.findall(r"http://127\.0\.0\.1:8000(/[\w/.-]*)", _healthcheck_test(_services()[name]))
    assert paths == ["/readyz"]
    assert http_get(name, paths[0]) == 200
    healthcheck = DOCKERFILE.read_text(encoding="utf-8").split("HEALTHCHECK", 1)[1]
    (image_path,) = re.findall(r"http://127\.0\.0\.1:8000(/[\w/.-]*)", healthcheck.split("\n\n")[0])
    assert http_get(name, image_path) == 200


def test_depends_on_names_services_that_can_meet_the_condition() -> None:
    services = _services()
    graph: dict[str, set[str]] = {}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        if isinstance(depends, list):
            depends = {dep: {"condition": "service_started"} for dep in depends}
        graph[name] = set(depends)
        for dep, spec in depends.items():
            assert dep in services, f"{name} depends on {dep}, which is not a service"
            condition = _mapping(spec, f"{name}.depends_on.{dep}").get("condition")
            if condition == "service_healthy":
                assert services[dep].get("healthcheck"), f"{name} waits for {dep}'s health: none"
            elif condition == "service_completed_successfully":
                assert str(services[dep].get("restart", "no")) == "no", f"{dep} never completes"
            else:
                assert condition == "service_started", (name, dep, condition)
    visiting: list[str] = []

    def acyclic(name: str) -> None:
        assert name not in visiting, f"depends_on cycle: {[*visiting, name]}"
        visiting.append(name)
        for dep in graph[name]:
            acyclic(dep)
        visiting.pop()

    for name in graph:
        acyclic(name)


def test_the_four_services_share_one_image_and_send_traces_to_jaeger() -> None:
    services = _services()
    images = {str(services[name].get("image")) for name in APP_SERVICES}
    assert len(images) == 1, images
    jaeger = services["jaeger"]
    assert str(jaeger["image"]).startswith("jaegertracing/all-in-one:")
    assert _env(jaeger)["COLLECTOR_OTLP_ENABLED"] == "true"
    for name in APP_SERVICES:
        endpoint = urlsplit(_env(services[name])["OTEL_EXPORTER_OTLP_ENDPOINT"])
        # The kit's exporter speaks OTLP over HTTP: Jaeger's port 4318 (4317 is gRPC).
        assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "jaeger", 4318)
        assert "4318" in [str(port) for port in jaeger.get("expose", [])]
        assert "jaeger" in services[name]["depends_on"], f"{name} starts before its trace sink"


def test_the_exporter_posts_the_services_spans_to_jaegers_otlp_route() -> None:
    """The kit's OTLP/HTTP exporter, built from compose's variables, sends to Jaeger's /v1/traces."""
    import os
    from unittest import mock

    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    env = _env(_services()["cases"])
    with mock.patch.dict(
        os.environ, {"OTEL_EXPORTER_OTLP_ENDPOINT": env["OTEL_EXPORTER_OTLP_ENDPOINT"]}
    ):
        exporter = OTLPSpanExporter()
    assert exporter._endpoint == "http://jaeger:4318/v1/traces"
