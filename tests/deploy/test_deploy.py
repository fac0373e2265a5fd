"""deploy/ agrees with the code: every variable it sets is read, every command it runs exists."""

from __future__ import annotations

import re
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from cli.main import app
from infra.settings import Settings
from infra.temporal import SERVER_DYNAMIC_CONFIG
from tests.support.observability import queries

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
OURS = {name: svc for name, svc in COMPOSE["services"].items()
        if svc.get("image") == "casework:latest"}


def resolved(env: dict[str, Any]) -> dict[str, str]:
    """Compose interpolation of ${VAR:-default}, as with VAR unset."""
    return {k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


def test_our_services_share_one_image() -> None:
    assert set(OURS) == {"setup", "worker", "api"}
    assert {svc["build"]["dockerfile"] for svc in OURS.values()} == {"deploy/Dockerfile"}


@pytest.mark.parametrize("service", sorted(OURS))
def test_every_variable_is_a_setting(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = resolved(OURS[service]["environment"])
    unknown = {k for k in env if k.removeprefix("CASEWORK_").lower() not in Settings.model_fields}
    assert not unknown, f"{service} sets variables no setting reads: {unknown}"
    assert all(k.startswith("CASEWORK_") for k in env)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # the values parse, and production rules hold
    assert settings.environment == "production" and not settings.embedded


@pytest.mark.parametrize("service", sorted(OURS))
def test_every_command_exists(service: str) -> None:
    program, command = OURS[service]["command"]
    assert program == "casework"
    assert command in {c.name or c.callback.__name__ for c in app.registered_commands}


def test_the_image_holds_every_package() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, re.MULTILINE))
    assert packages <= copied, f"not copied into the image: {packages - copied}"


def test_the_image_installs_from_the_lock_as_dev_does() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    dev = (ROOT / "dev").read_text()
    (version,) = re.findall(r"^UV_VERSION=(\S+)$", dev, re.MULTILINE)
    assert f"ghcr.io/astral-sh/uv:{version} " in dockerfile
    installs = re.findall(r"^RUN .*", dockerfile, re.MULTILINE)
    assert all("uv sync --locked" in line for line in installs if "install" in line
               or "sync" in line) and "pip install" not in dockerfile
    assert "uv sync --quiet --locked" in dev


def test_production_refuses_the_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWORK_ENVIRONMENT", "production")
    monkeypatch.delenv("CASEWORK_TEMPORAL_ADDRESS", raising=False)
    with pytest.raises(ValueError, match="CASEWORK_TEMPORAL_ADDRESS"):
        Settings(_env_file=None)


def test_every_image_is_pinned_and_every_mounted_file_exists(tmp_path: Path) -> None:
    # What deploy/tls/make-certs.sh makes (into deploy/tls/out, never committed) is mounted
    # from there: it must be something the script makes.
    made = tmp_path / "out"
    subprocess.run(["bash", str(ROOT / "deploy" / "tls" / "make-certs.sh"), str(made)],
                   check=True, capture_output=True)
    for name, svc in COMPOSE["services"].items():
        image = svc["image"]
        if image != "casework:latest":  # built here from the lock
            assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+", image), f"{name}: {image} unpinned"
        sources = [v.split(":")[0] for v in svc.get("volumes", [])] + svc.get("env_file", [])
        for source in sources:
            if source.startswith("./tls/out/"):
                assert (made / source.removeprefix("./tls/out/")).exists(), f"{name}: {source}"
            elif source.startswith("./"):
                assert (ROOT / "deploy" / source).exists(), f"{name} mounts missing {source}"
    assert not any(svc["image"].startswith("temporalio/auto-setup")
                   for svc in COMPOSE["services"].values())


def test_the_server_hands_activities_to_their_worker_as_the_dev_server_does() -> None:
    """As `test_eager_activities.py` finds the dev server (bench/README.md)."""
    temporal = COMPOSE["services"]["temporal"]
    mounted = temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    assert f"./temporal/dynamicconfig.yaml:/etc/temporal/{mounted}:ro" in temporal["volumes"]
    config = yaml.safe_load((ROOT / "deploy" / "temporal" / "dynamicconfig.yaml").read_text())
    assert config["system.enableActivityEagerExecution"] == [{"value": True, "constraints": {}}]


def test_the_server_tells_pinned_runs_of_a_new_build_as_the_tests_server_does() -> None:
    """What the workers rely on (`infra.temporal.SERVER_DYNAMIC_CONFIG`, given the dev server
    that `tests/workflows/engine/test_versioning.py` runs) is what the deployed server is given."""
    config = yaml.safe_load((ROOT / "deploy" / "temporal" / "dynamicconfig.yaml").read_text())
    assert {key: [{"value": value == "true", "constraints": {}}]
            for key, value in SERVER_DYNAMIC_CONFIG.items()}.items() <= config.items()


def test_prometheus_scrapes_the_ports_the_processes_serve() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yaml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"][0]
               for job in config["scrape_configs"]}
    for service, job in (("api", "casework-api"), ("worker", "casework-worker")):
        port = resolved(OURS[service]["environment"])["CASEWORK_METRICS_PORT"]
        assert targets[job] == f"{service}:{port}"
    assert resolved(OURS["api"]["environment"])["CASEWORK_METRICS_HOST"] == "0.0.0.0"


def test_every_alert_says_what_to_do() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert len(alerts) >= 6 and len({a["alert"] for a in alerts}) == len(alerts)
    for alert in alerts:
        assert alert["expr"].strip() and re.fullmatch(r"\d+[smh]", alert["for"]), alert["alert"]
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["action"], alert["alert"]


def test_the_web_ui_signs_in_and_cannot_write() -> None:
    ui = resolved(COMPOSE["services"]["temporal-ui"]["environment"])
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true" and ui["TEMPORAL_AUTH_TYPE"] == "oidc"
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    namespace = resolved(COMPOSE["services"]["temporal-namespace"]["environment"])
    assert re.fullmatch(r"\d+d", namespace["RETENTION"]) and int(namespace["RETENTION"][:-1]) >= 90


@pytest.mark.parametrize("query", queries())
def test_every_alert_and_panel_query_is_promql(query: str) -> None:
    promql_parser.parse(query)  # raises on a syntax error


def test_the_image_installs_every_file_the_packages_read() -> None:
    """The image installs the packages (not the source tree): a data file the package-data
    patterns miss is absent there, and the process reading it fails to start."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["package-data"]
    missed = []
    for package in (name.rstrip("*") for name in setuptools["packages"]["find"]["include"]):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
                inside = path.relative_to(ROOT / package).as_posix()
                if not any(fnmatch(inside, p) for p in patterns.get(package, [])):
                    missed.append(f"{package}/{inside}")
    assert missed == []
