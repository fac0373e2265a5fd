"""deploy/kubernetes agrees with Kubernetes and with the code, with no cluster: every manifest of
the kustomization valid against the Kubernetes API's schemas (kubernetes-validate, offline), and
every setting, command, probe, port and reference one the code and the other manifests have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from api.routes import ROUTERS, health
from cli.main import app as cli
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KUSTOMIZATION = yaml.safe_load((ROOT / "kustomization.yaml").read_text())
DOCS: list[dict[str, Any]] = [doc for name in KUSTOMIZATION["resources"]
                              for doc in yaml.safe_load_all((ROOT / name).read_text()) if doc]
KUBERNETES = "1.33.0"
# Kinds of operators the cluster runs, whose schemas are not the Kubernetes API's.
OPERATORS = {"external-secrets.io/v1"}


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in DOCS if d["kind"] == kind}


def containers() -> list[dict[str, Any]]:
    pods = [d["spec"]["template"]["spec"] for d in DOCS if d["kind"] in ("Deployment", "Job")]
    pods += [d["spec"]["jobTemplate"]["spec"]["template"]["spec"] for d in DOCS
             if d["kind"] == "CronJob"]
    return [c for pod in pods for c in pod["containers"]]


@pytest.mark.parametrize("doc", [d for d in DOCS if d["apiVersion"] not in OPERATORS],
                         ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_settings_are_the_code_s_and_parse_in_production(
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = of_kind("ConfigMap")["casework"]["data"]
    secret = of_kind("ExternalSecret")["casework"]  # the others: test_temporal_access.py
    secrets = {item["secretKey"] for item in secret["spec"]["data"]}
    env = {e["name"]: e.get("value", "") for c in containers() for e in c.get("env", [])}
    names = set(config) | secrets | set(env)
    unknown = {n for n in names if n.removeprefix("CASEWORK_").lower() not in Settings.model_fields}
    assert not unknown, f"variables no setting reads: {unknown}"
    assert {"CASEWORK_DATABASE_URL", "CASEWORK_PAYLOAD_KEYS"} <= secrets  # never in a ConfigMap
    for key, value in {**config, **{k: "x" for k in secrets}}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CASEWORK_PAYLOAD_KEYS", "k1:" + "A" * 43)
    monkeypatch.setenv("CASEWORK_DATABASE_URL", "postgresql+psycopg://u:p@db/casework")
    settings = Settings(_env_file=None)
    assert settings.environment == "production" and not settings.embedded


def test_commands_probes_and_ports_are_the_code_s() -> None:
    commands = {c.name or c.callback.__name__ for c in cli.registered_commands}
    paths = {route.path for router in (*ROUTERS, health.router) for route in router.routes}
    for container in containers():
        program, command, *options = container["command"]
        assert program == "casework" and command in commands, container["command"]
        assert all(o.startswith("--") for o in options), options
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if "metrics" in ports:
            assert str(ports["metrics"]) == env["CASEWORK_METRICS_PORT"]
        for probe in ("readinessProbe", "livenessProbe"):
            if probe in container:
                get = container[probe]["httpGet"]
                assert get["port"] in ports, (command, probe)
                assert get["path"] in paths | {"/metrics"}, (command, probe)
    api = of_kind("Deployment")["casework-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"  # Temporal and both databases


def test_references_resolve() -> None:
    deployments = of_kind("Deployment")
    for hpa in of_kind("HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    for service in of_kind("Service").values():
        selected = service["spec"]["selector"]
        assert any(d["spec"]["template"]["metadata"]["labels"].items() >= selected.items()
                   for d in deployments.values())
    (image,) = {c["image"] for c in containers()}
    assert image in {i["name"] for i in KUSTOMIZATION["images"]}
    sources = {ref[key]["name"] for c in containers() for ref in c["envFrom"] for key in ref}
    secret = of_kind("ExternalSecret")["casework"]
    assert sources == set(of_kind("ConfigMap")) | {secret["spec"]["target"]["name"]}
    # Every Secret a pod reads (a volume, a variable) is one an ExternalSecret keeps.
    targets = {s["spec"]["target"]["name"] for s in of_kind("ExternalSecret").values()}
    pods = [d["spec"]["template"]["spec"] for d in DOCS if d["kind"] in ("Deployment", "Job")]
    read = {v["secret"]["secretName"] for pod in pods for v in pod.get("volumes", [])
            if "secret" in v}
    read |= {e["valueFrom"]["secretKeyRef"]["name"] for c in containers()
             for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
    assert read and read <= targets
