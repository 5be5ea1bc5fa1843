"""deploy/k8s: the kustomize base and overlays agree with the services' code, compose and the Dockerfile.

No kubectl or kustomize here: the kustomizations are read by a small resolver that knows exactly the
fields these files use (resources, namespace, labels, images, replicas, strategic-merge patches of
ConfigMaps and Deployments) and refuses any other, so a field it cannot check fails the test instead of
being ignored.
"""

from __future__ import annotations

import copy
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic.script import ScriptDirectory

from kit.health import BROKER_PROBE_SECONDS
from kit.migrate import alembic_config

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
BUILDS = [BASE, *OVERLAYS]
README = K8S / "README.md"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

APP_SERVICES = ("deputies", "cases", "scoring", "notify")
# Deployments of the image with another command (no API, no Service): name -> the service it is part of.
PROCESSES = {"notify-sender": "notify", "cases-relay": "cases", "notify-relay": "notify"}
API_VERSIONS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "PodDisruptionBudget": "policy/v1",
    "Job": "batch/v1",
    "Namespace": "v1",
}
KUSTOMIZATION_FIELDS = frozenset(
    {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
)
# Variables a service reads that are not its pydantic settings: the library or module that reads them.
EXTERNAL_VARIABLES = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": ("kit.tracing", "opentelemetry.sdk.environment_variables"),
    "PROMETHEUS_DISABLE_CREATED_SERIES": ("prometheus_client.metrics",),
}
# Stand-ins for the Secret's values when the settings are read in a test.
SECRET_SAMPLES = {
    "jwt-secret": "x" * 40,
    "smtp-username": "npc-notify",
    "smtp-password": "p",
    "sms-api-key": "k",
    "sms-secret": "s",
    "notify-robots": '{"office": {"kind": "dingtalk", "url": "https://robot.example/x", "secret": "SEC1"}}',
}

Doc = dict[str, Any]


# --- a kustomize resolver for the fields these files use ---------------------------------------------


def _documents(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert all(isinstance(d, dict) for d in docs), path
    return docs


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge as kustomize does it for these kinds: maps merge, lists of named items by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in base + patch)
    ):
        by_name = {item["name"]: item for item in base}
        for item in patch:
            by_name[item["name"]] = (
                _merge(by_name[item["name"]], item) if item["name"] in by_name else item
            )
        return list(by_name.values())
    return patch


def _key(doc: Doc) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _containers(doc: Doc) -> list[Doc]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def build(folder: Path) -> list[Doc]:
    """Return the resources `kustomize build folder` would, for the fields listed above."""
    kustomization = _documents(folder / "kustomization.yaml")[0]
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    assert not unknown, f"{folder}: fields this test cannot check: {sorted(unknown)}"
    assert kustomization["kind"] == "Kustomization"
    docs: list[Doc] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        assert path.exists(), f"{folder}: resource {entry} is missing"
        docs += build(path) if path.is_dir() else _documents(path)
    keys = [_key(d) for d in docs]
    assert len(keys) == len(set(keys)), f"{folder}: duplicate resources"
    index = {_key(d): i for i, d in enumerate(docs)}
    for patch in kustomization.get("patches", []):
        assert set(patch) == {"path"}, f"{folder}: only file patches are read here: {patch}"
        for doc in _documents(folder / patch["path"]):
            assert _key(doc) in index, (
                f"{folder}: patch {patch['path']} targets {_key(doc)}, absent"
            )
            docs[index[_key(doc)]] = _merge(docs[index[_key(doc)]], doc)
    for item in kustomization.get("replicas", []):
        assert ("Deployment", item["name"]) in index, f"{folder}: replicas of {item['name']}"
        docs[index["Deployment", item["name"]]]["spec"]["replicas"] = int(item["count"])
    images = {image["name"]: image for image in kustomization.get("images", [])}
    used = {str(c["image"]).rsplit(":", 1)[0] for d in docs for c in _containers(d) if "image" in c}
    assert set(images) <= used, f"{folder}: images entries for no container: {set(images) - used}"
    docs = copy.deepcopy(docs)
    for doc in docs:
        for container in _containers(doc):
            name, _, tag = str(container["image"]).partition(":")
            if name in images:
                image = images[name]
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
        for label in kustomization.get("labels", []):
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
            assert not label.get("includeSelectors"), "selectors stay as written"
        if "namespace" in kustomization and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


def _of(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _config_maps(docs: list[Doc]) -> dict[str, dict[str, str]]:
    return {name: dict(doc.get("data", {})) for name, doc in _of(docs, "ConfigMap").items()}


def _service_of(doc: Doc) -> str:
    name = str(doc["metadata"]["labels"]["app.kubernetes.io/name"])
    assert name in APP_SERVICES, doc["metadata"]["name"]
    return name


def _workloads(docs: list[Doc]) -> Iterator[tuple[str, Doc, Doc]]:
    """(service, Deployment or Job, container) for every container that runs a service's code."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            for container in _containers(doc):
                yield _service_of(doc), doc, container


def _environment(container: Doc, config_maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's variables with the values they would get (Secret values from the samples)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        assert name in config_maps, f"envFrom names a ConfigMap that is not built: {name}"
        env.update(config_maps[name])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item["valueFrom"]
        if "configMapKeyRef" in ref:
            key = ref["configMapKeyRef"]
            env[item["name"]] = config_maps[key["name"]][key["key"]]
        else:
            key = ref["secretKeyRef"]["key"]
            default = f"postgresql+asyncpg://u:p@db:5432/{key.removesuffix('-database-url')}"
            env[item["name"]] = SECRET_SAMPLES.get(key, default)
    return env


def _secret_keys(docs: list[Doc]) -> set[tuple[str, str]]:
    return {
        (item["valueFrom"]["secretKeyRef"]["name"], item["valueFrom"]["secretKeyRef"]["key"])
        for _, _, container in _workloads(docs)
        for item in container.get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }


def _compose_services() -> dict[str, Any]:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    assert isinstance(services, dict)
    return services


# --- the files -----------------------------------------------------------------------------------------


def test_every_manifest_parses_and_is_a_known_kind() -> None:
    files = sorted(K8S.rglob("*.yaml"))
    assert files
    for path in files:
        for doc in _documents(path):
            if doc.get("kind") == "Kustomization":
                assert path.name == "kustomization.yaml", path
                continue
            assert doc.get("apiVersion") == API_VERSIONS.get(doc.get("kind", "")), (path, doc)
            assert doc["metadata"]["name"], path


def test_every_file_is_used_by_its_kustomization() -> None:
    for folder in BUILDS:
        kustomization = _documents(folder / "kustomization.yaml")[0]
        listed = {
            *kustomization.get("resources", []),
            *(p["path"] for p in kustomization.get("patches", [])),
        }
        present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert present <= listed, f"{folder}: files no kustomization uses: {present - listed}"


@pytest.mark.parametrize("folder", BUILDS, ids=lambda p: p.name)
def test_each_build_has_every_service_with_its_parts(folder: Path) -> None:
    docs = build(folder)
    for kind in ("Deployment", "PodDisruptionBudget"):
        assert set(_of(docs, kind)) == {*APP_SERVICES, *PROCESSES}, kind
    assert set(_of(docs, "Service")) == set(APP_SERVICES)
    assert set(_of(docs, "Job")) == {f"{name}-migrate" for name in APP_SERVICES}
    if folder != BASE:
        namespaces = set(_of(docs, "Namespace"))
        assert {
            d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"
        } == namespaces


def test_the_resolver_applies_an_overlay_and_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    """The example overlay's patches, replicas and image reach the resources; an unknown field fails."""
    base = _of(build(BASE), "Deployment")
    overlay = build(K8S / "overlays" / "example")
    example = _documents(K8S / "overlays" / "example" / "kustomization.yaml")[0]
    scaled = {item["name"]: item["count"] for item in example["replicas"]}
    for name, deployment in _of(overlay, "Deployment").items():
        assert deployment["spec"]["replicas"] == scaled.get(name, base[name]["spec"]["replicas"])
        image = _containers(deployment)[0]["image"]
        assert image == f"{example['images'][0]['newName']}:{example['images'][0]['newTag']}"
    patched = _documents(K8S / "overlays" / "example" / "platform-config.yaml")[0]["data"]
    assert _config_maps(overlay)["npc-platform"] == {
        **_config_maps(build(BASE))["npc-platform"],
        **patched,
    }
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [../base]\ncommonLabels: {a: b}\nkind: Kustomization\n", encoding="utf-8"
    )
    with pytest.raises(AssertionError, match="cannot check"):
        build(tmp_path)


# --- against the services' code --------------------------------------------------------------------------


@pytest.mark.parametrize("folder", BUILDS, ids=lambda p: p.name)
def test_every_variable_is_a_setting_of_its_service_and_valid(
    folder: Path,
    setting_names: dict[str, frozenset[str]],
    load_settings: Callable[[str, dict[str, str]], dict[str, Any]],
) -> None:
    docs = build(folder)
    config_maps = _config_maps(docs)
    for service, doc, container in _workloads(docs):
        env = _environment(container, config_maps)
        unknown = set(env) - setting_names[service] - set(EXTERNAL_VARIABLES)
        assert not unknown, (
            f"{doc['metadata']['name']}: not settings of {service}: {sorted(unknown)}"
        )
        settings = load_settings(service, env)  # raises when a value does not validate
        assert settings["http_host"] == "0.0.0.0"
        assert settings["http_port"] == 8000
        assert settings["database_url"].startswith("postgresql+asyncpg://")
        assert not settings["dev_mode"], "production never runs in development mode"


def test_the_variables_read_outside_the_settings_are_read_by_the_code_named() -> None:
    import importlib.util

    for variable, modules in EXTERNAL_VARIABLES.items():
        for module in modules:
            spec = importlib.util.find_spec(module)
            assert spec is not None, module
            assert spec.origin, module
            assert variable in Path(spec.origin).read_text(encoding="utf-8"), (variable, module)


@pytest.mark.parametrize("folder", BUILDS, ids=lambda p: p.name)
def test_probes_are_public_routes_of_the_service(
    folder: Path, http_get: Callable[[str, str], int]
) -> None:
    for deployment in _of(build(folder), "Deployment").values():
        name = _service_of(deployment)  # a process apart serves its service's probe routes
        (container,) = _containers(deployment)
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        probes = {kind: container[f"{kind}Probe"] for kind in ("startup", "liveness", "readiness")}
        assert probes["liveness"]["httpGet"]["path"] == "/livez"
        assert probes["readiness"]["httpGet"]["path"] == "/readyz"
        for kind, probe in probes.items():
            action = probe["httpGet"]
            assert action["port"] in ports, f"{name} {kind}: port {action['port']}"
            assert http_get(name, action["path"]) == 200, f"{name} {kind}: {action['path']}"
        # /readyz pings the broker for up to BROKER_PROBE_SECONDS + 0.5 s when it is away.
        assert probes["readiness"]["timeoutSeconds"] > BROKER_PROBE_SECONDS + 0.5
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert http_get(name, annotations["prometheus.io/path"]) == 200
        assert int(annotations["prometheus.io/port"]) in ports.values()


def test_a_probe_on_a_missing_or_private_route_would_fail(
    http_get: Callable[[str, str], int],
) -> None:
    assert http_get("cases", "/healthz") != 200
    assert http_get("cases", "/api/v1/suggestions") == 401


def test_every_consumer_group_is_in_the_scaling_guide_and_replicas_stay_within_partitions(
    wired: dict[str, Any],
) -> None:
    guide = README.read_text(encoding="utf-8").split("## Scaling", 1)[1]
    for name, service in wired.items():
        for group in service.groups:
            assert f"`{group}`" in guide, f"the scaling guide does not name {name}'s group {group}"
    for folder in BUILDS:
        docs = build(folder)
        partitions = int(_config_maps(docs)["npc-platform"]["KAFKA_TOPIC_PARTITIONS"])
        for name, deployment in _of(docs, "Deployment").items():
            replicas = int(deployment["spec"]["replicas"])
            if name in APP_SERVICES and wired[name].groups:
                assert replicas <= partitions, (
                    f"{folder.name}: {name} has more instances than partitions"
                )
            assert replicas >= 2, f"{folder.name}: {name} with one replica blocks a drain (PDB)"


# --- against compose and the Dockerfile --------------------------------------------------------------


def test_image_command_port_and_user_are_those_of_compose_and_the_dockerfile() -> None:
    compose = _compose_services()
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    (exposed,) = re.findall(r"^EXPOSE (\d+)$", dockerfile, flags=re.MULTILINE)
    uid = re.search(r"useradd [^\n]*--uid (\d+)", dockerfile)
    assert uid
    docs = build(BASE)
    for name, deployment in _of(docs, "Deployment").items():
        (container,) = _containers(deployment)
        service = compose[name]  # the same name in compose (notify-sender there too)
        image = re.sub(r"^\$\{NPC_IMAGE:-(.+)\}$", r"\1", str(service["image"]))
        assert str(container["image"]).split(":")[0] == image.split(":")[0]
        assert container["command"] == service["command"]
        if name in APP_SERVICES:
            assert container["command"] == ["python", "-m", name]
        else:
            assert container["command"][:3] == ["python", "-m", PROCESSES[name]]
        (port,) = container["ports"]
        compose_target = {str(p).split(":")[-1] for p in service.get("ports", [])}
        compose_target |= {str(p) for p in service.get("expose", [])}
        assert str(port["containerPort"]) == exposed
        assert compose_target == {exposed}
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid[1])
        grace = str(service["stop_grace_period"]).removesuffix("s")
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= int(grace)
    for job in _of(docs, "Job").values():
        (container,) = _containers(job)
        assert str(container["image"]).split(":")[0] == image.split(":")[0]


def test_services_select_their_deployment_and_target_its_port() -> None:
    docs = build(BASE)
    deployments = _of(docs, "Deployment")
    for name, service in _of(docs, "Service").items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        (port,) = service["spec"]["ports"]
        (container,) = _containers(deployments[name])
        assert port["targetPort"] in {p["name"] for p in container["ports"]}
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
    for name, budget in _of(docs, "PodDisruptionBudget").items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert budget["spec"]["minAvailable"] < deployments[name]["spec"]["replicas"]


def test_every_container_has_resources_and_runs_unprivileged() -> None:
    for _, doc, container in _workloads(build(BASE)):
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), doc["metadata"]["name"]
        assert "memory" in resources["limits"], doc["metadata"]["name"]
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, "jieba and tempfile write to /tmp"
        assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_every_secret_key_is_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    command = readme.split("create secret generic", 1)[1].split("```", 1)[0]
    created = set(re.findall(r"--from-literal=([\w-]+)=", command))
    for folder in BUILDS:
        keys = _secret_keys(build(folder))
        assert {secret for secret, _ in keys} == {"npc-platform-secrets"}
        assert {key for _, key in keys} == created, folder.name


# --- the migration Jobs really migrate -------------------------------------------------------------------


def test_each_migration_job_brings_its_database_to_the_newest_revision(tmp_path: Path) -> None:
    """Run every Job's command (its image's Python here) against an empty SQLite file, all at once."""
    docs = build(BASE)
    config_maps = _config_maps(docs)
    running: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    for service, job, container in _workloads(docs):
        if job["kind"] != "Job":
            continue
        database = tmp_path / f"{service}.db"
        env = {
            **_environment(container, config_maps),
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "PATH": str(Path(sys.executable).parent),
        }
        command = [sys.executable if part == "python" else part for part in container["command"]]
        running[service] = (
            subprocess.Popen(
                command,
                env=env,
                cwd=tmp_path,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
            database,
        )
    assert set(running) == set(APP_SERVICES)
    for service, (process, database) in running.items():
        output, _ = process.communicate(timeout=240)
        assert process.returncode == 0, f"{service}: {output[-2000:]}"
        with sqlite3.connect(database) as connection:
            (revision,) = connection.execute("select version_num from alembic_version").fetchone()
        scripts = ScriptDirectory.from_config(
            alembic_config(ROOT / "services" / service / "migrations", "sqlite://")
        )
        head = scripts.get_current_head()
        assert revision == head, f"{service} stopped at {revision}, the head is {head}"


# --- Prometheus in the cluster ---------------------------------------------------------------------------

PROMETHEUS_K8S = ROOT / "deploy" / "prometheus" / "kubernetes.yml"


def _relabel(pod: dict[str, str], rules: list[Doc]) -> dict[str, str] | None:
    """Apply Prometheus relabel rules (keep, replace) to a target's labels; None when dropped."""
    labels = dict(pod)
    for rule in rules:
        value = rule.get("separator", ";").join(labels.get(s, "") for s in rule["source_labels"])
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if rule.get("action", "replace") == "keep":
            if not match:
                return None
            continue
        if match:
            replacement = rule.get("replacement", "$1")
            labels[rule["target_label"]] = match.expand(re.sub(r"\$(\d+)", r"\\g<\1>", replacement))
    return labels


def _meta(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def test_in_cluster_prometheus_names_each_service_job_like_compose() -> None:
    """The pods of the overlay, relabelled: job = the service (the alerts' `up{job=…}`), port 8000."""
    config = yaml.safe_load(PROMETHEUS_K8S.read_text(encoding="utf-8"))
    assert config["rule_files"] == ["alerts.yml"]
    assert (PROMETHEUS_K8S.parent / "alerts.yml").is_file()
    (job,) = config["scrape_configs"]
    (discovery,) = job["kubernetes_sd_configs"]
    assert discovery["role"] == "pod"
    overlay = build(K8S / "overlays" / "example")
    assert discovery["namespaces"]["names"] == sorted(_of(overlay, "Namespace"))
    found: dict[str, dict[str, str]] = {}
    for doc in overlay:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        template = doc["spec"]["template"]["metadata"]
        pod = {"__address__": "10.0.0.7", "__metrics_path__": "/metrics"}
        pod |= {f"__meta_kubernetes_pod_label_{_meta(k)}": v for k, v in template["labels"].items()}
        annotations = template.get("annotations", {})
        pod |= {f"__meta_kubernetes_pod_annotation_{_meta(k)}": v for k, v in annotations.items()}
        target = _relabel(pod, job["relabel_configs"])
        if target is not None:
            assert doc["kind"] == "Deployment", f"{doc['metadata']['name']} would be scraped"
            found[target["job"]] = target
    assert set(found) == set(APP_SERVICES)
    for target in found.values():
        assert target["__address__"] == "10.0.0.7:8000"
        assert target["__metrics_path__"] == "/metrics"
