"""Temporal authenticates its clients in production (docs/security.md): on compose, on internal
networks, published nowhere, its frontend requiring a client certificate of a CA that signs only
the API's, the worker's, the setup jobs' and the Web UI's, with an authorizer that lets only the
API's and the worker's tokens write; on Kubernetes, the same through the chart's values, and
network policies that let only those pods reach port 7233. deploy/tls/make-certs.sh is run here
and what it makes is checked with openssl, a TLS handshake and the tokens' signatures."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import kubernetes_validate
import pytest
import yaml

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCRIPT = DEPLOY / "tls" / "make-certs.sh"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OUT = "./tls/out/"  # where compose takes what make-certs.sh makes (relative to deploy/)
IDENTITIES = {"api": "casework-api", "worker": "casework-worker", "setup": "casework-setup",
              "ui": "temporal-ui"}
WRITERS = {"api", "worker"}
KUBERNETES = "1.33.0"
# The labels Temporal's Helm chart (1.1.1) gives its pods: name, and the component.
CHART = {"app.kubernetes.io/name": "temporal", "app.kubernetes.io/instance": "temporal"}


def kustomized(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    docs = [doc for name in kustomization["resources"]
            for doc in yaml.safe_load_all((folder / name).read_text()) if doc]
    return kustomization, docs


CASEWORK, CASEWORK_DOCS = kustomized(DEPLOY / "kubernetes")
TEMPORAL, TEMPORAL_DOCS = kustomized(DEPLOY / "kubernetes" / "temporal")
VALUES = yaml.safe_load((DEPLOY / "kubernetes" / "temporal" / "values.yaml").read_text())


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def env_of(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def mounts(service: str) -> dict[str, str]:
    """The service's bind mounts of make-certs.sh's output: what (under OUT) at which path."""
    found = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith(OUT):
            found[source.removeprefix(OUT)] = target
    return found


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                          check=False)


def verifies(cert: Path, ca: Path, purpose: str, host: str | None = None) -> bool:
    extra = ("-verify_hostname", host) if host else ()
    return openssl("verify", "-purpose", purpose, *extra, "-CAfile", ca, cert).returncode == 0


def run_script(out: Path, **env: str) -> None:
    subprocess.run(["bash", str(SCRIPT), str(out)], check=True, capture_output=True,
                   env={**os.environ, **env}, timeout=120)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tls") / "out"
    run_script(out)
    return out


def token_of(made: Path, who: str) -> str:
    line = (made / who / "temporal.env").read_text().strip()
    name, token = line.split("=", 1)
    assert name == "CASEWORK_TEMPORAL_API_KEY"
    return token


# --- deploy/tls/make-certs.sh -------------------------------------------------------------------

def test_the_script_parses() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0
    assert os.access(SCRIPT, os.X_OK)


def test_client_certificates_chain_to_the_client_ca_only(made: Path) -> None:
    client_ca, server_ca = made / "temporal" / "client-ca.pem", made / "temporal" / "server-ca.pem"
    for who, name in IDENTITIES.items():
        cert = made / who / "cert.pem"
        assert verifies(cert, client_ca, "sslclient"), who
        assert not verifies(cert, server_ca, "sslclient"), who
        assert not verifies(cert, client_ca, "sslserver"), f"{who} could pose as a server"
        subject = openssl("x509", "-in", cert, "-noout", "-subject").stdout
        assert subject.strip().endswith(f"CN = {name}"), subject
        # A client checks the frontend against the server CA.
        assert (made / who / "ca.pem").read_bytes() == server_ca.read_bytes()
    # Nothing of the server's is a client of the frontend.
    for cert in ("frontend.pem", "internode.pem"):
        assert not verifies(made / "temporal" / cert, client_ca, "sslclient"), cert
    assert not verifies(made / "temporal" / "frontend.pem", server_ca, "sslclient")


def client_host_names() -> set[str]:
    """Every name a client checks the frontend's certificate by, compose's and Kubernetes'."""
    config = of_kind(CASEWORK_DOCS, "ConfigMap")["casework"]["data"]
    web = {e["name"]: e.get("value") for e in VALUES["web"]["additionalEnv"]}
    names = {config["CASEWORK_TEMPORAL_TLS_SERVER_NAME"], web["TEMPORAL_TLS_SERVER_NAME"],
             VALUES["server"]["config"]["tls"]["frontend"]["client"]["serverName"]}
    for service in ("api", "worker", "setup"):
        names.add(env_of(service)["CASEWORK_TEMPORAL_TLS_SERVER_NAME"])
    names |= {env_of("temporal-ui")["TEMPORAL_TLS_SERVER_NAME"],
              env_of("temporal-namespace")["TEMPORAL_TLS_SERVER_NAME"],
              env_of("temporal")["TEMPORAL_TLS_FRONTEND_SERVER_NAME"]}
    return names


def test_the_frontend_s_certificate_names_what_every_client_checks(made: Path) -> None:
    server_ca = made / "temporal" / "server-ca.pem"
    names = client_host_names()
    assert {"temporal", "temporal-frontend"} <= names
    for name in names:
        assert verifies(made / "temporal" / "frontend.pem", server_ca, "sslserver", name), name
    assert not verifies(made / "temporal" / "frontend.pem", server_ca, "sslserver", "evil")
    # The internode certificate serves and is a client (Temporal's services to each other).
    internode = VALUES["server"]["config"]["tls"]["internode"]["client"]["serverName"]
    assert env_of("temporal")["TEMPORAL_TLS_INTERNODE_SERVER_NAME"] == internode
    for purpose in ("sslserver", "sslclient"):
        assert verifies(made / "temporal" / "internode.pem", server_ca, purpose, internode)


def handshake(made: Path, client: str | None) -> bool:
    """A TLS server with the frontend's certificate that requires a client certificate of the
    client CA, as Temporal's frontend is configured; does a client holding `client`'s (or no)
    certificate complete the handshake?"""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(made / "temporal" / "frontend.pem", made / "temporal" / "frontend.key")
    server.load_verify_locations(made / "temporal" / "client-ca.pem")
    server.verify_mode = ssl.CERT_REQUIRED
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(made / "temporal" / "server-ca.pem")
    if client is not None:
        cert, key = ((made / client / "cert.pem", made / client / "key.pem") if "/" not in client
                     else (made / f"{client}.pem", made / f"{client}.key"))
        context.load_cert_chain(cert, key)
    outcome: dict[str, bool] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
                    outcome["server"] = True
            except (ssl.SSLError, OSError):
                outcome["server"] = False
        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw, \
                 context.wrap_socket(raw, server_hostname="temporal-frontend") as tls:
                outcome["client"] = tls.recv(2) == b"ok"
        except (ssl.SSLError, OSError):
            outcome["client"] = False
        thread.join(10)
    return outcome.get("server", False) and outcome.get("client", False)


def test_only_the_client_ca_s_certificates_complete_a_handshake(made: Path) -> None:
    for who in IDENTITIES:
        assert handshake(made, who), who
    assert not handshake(made, None)
    assert not handshake(made, "temporal/internode")  # signed by the server CA, not a client's


def test_only_the_api_and_the_worker_hold_writers_tokens(made: Path) -> None:
    (key,) = json.loads((made / "keys" / "jwks.json").read_text())["keys"]
    assert set(key) >= {"kty", "kid", "n", "e"} and "d" not in key  # the public half only
    public = jwt.PyJWK(key).key
    namespace = env_of("api")["CASEWORK_TEMPORAL_NAMESPACE"]
    for who in ("api", "worker", "setup"):
        token = token_of(made, who)
        assert jwt.get_unverified_header(token)["kid"] == key["kid"]
        claims = jwt.decode(token, public, algorithms=["RS256"], audience="temporal")
        assert claims["sub"] == IDENTITIES[who]
        role = "write" if who in WRITERS else "admin"
        assert claims["permissions"] == [f"{namespace}:{role}"], who
        assert claims["exp"] - claims["iat"] == 397 * 86400
    assert not (made / "ui" / "temporal.env").exists()  # the UI passes on its users' tokens


def test_keys_stay_private_and_a_second_run_keeps_the_authorities(
        made: Path, tmp_path: Path) -> None:
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    for key in (made / "ca").iterdir():
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert "out/" in (DEPLOY / "tls" / ".gitignore").read_text().split()
    out = tmp_path / "out"
    run_script(out, DAYS="30")
    authorities = {p.name: p.read_bytes() for p in (out / "ca").iterdir()}
    api = (out / "api" / "cert.pem").read_bytes()
    run_script(out, DAYS="30")
    assert {p.name: p.read_bytes() for p in (out / "ca").iterdir()} == authorities
    assert (out / "api" / "cert.pem").read_bytes() != api  # issued anew
    assert verifies(out / "api" / "cert.pem", out / "temporal" / "client-ca.pem", "sslclient")
    claims = jwt.decode(token_of(out, "api"), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 86400


# --- compose -------------------------------------------------------------------------------------

def networks_of(service: str) -> list[str]:
    return list(SERVICES[service].get("networks", ["default"]))


def test_temporal_is_on_internal_networks_only_and_published_nowhere() -> None:
    declared = COMPOSE["networks"]
    temporal = SERVICES["temporal"]
    assert networks_of("temporal") and all(declared[n].get("internal") is True
                                           for n in networks_of("temporal"))
    assert "ports" not in temporal and "network_mode" not in temporal
    members = {n: {s for s in SERVICES if n in networks_of(s)} for n in networks_of("temporal")}
    # Its database: Temporal and its schema job only (and the database on nothing else).
    assert members["temporal-store"] == {"postgresql", "temporal", "temporal-schema"}
    assert networks_of("postgresql") == ["temporal-store"]
    # Those it serves, each with a client certificate (Prometheus scrapes its metrics and the
    # key server answers it; neither holds one).
    assert members["temporal"] == {"temporal", "temporal-keys", "temporal-namespace",
                                   "temporal-ui", "api", "worker", "setup", "prometheus"}
    assert not any("temporal" in n for n in networks_of("casework-db"))


def test_the_frontend_requires_a_client_certificate_and_authorizes_by_token(made: Path) -> None:
    env = env_of("temporal")
    tls_dir = mounts("temporal")["temporal"]
    assert env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert env["TEMPORAL_TLS_CLIENT1_CA_CERT"] == env["TEMPORAL_TLS_CLIENT2_CA_CERT"] \
        == f"{tls_dir}/client-ca.pem"
    for key in ("TEMPORAL_TLS_FRONTEND_CERT", "TEMPORAL_TLS_FRONTEND_KEY",
                "TEMPORAL_TLS_SERVER_CERT", "TEMPORAL_TLS_SERVER_KEY",
                "TEMPORAL_TLS_SERVER_CA_CERT", "TEMPORAL_TLS_CLIENT1_CA_CERT"):
        path = Path(env[key])
        assert str(path.parent) == tls_dir and (made / "temporal" / path.name).is_file(), key
    assert env["TEMPORAL_TLS_SERVER_CA_CERT"].endswith("/server-ca.pem")
    assert env["TEMPORAL_AUTH_AUTHORIZER"] == env["TEMPORAL_AUTH_CLAIM_MAPPER"] == "default"
    assert env["TEMPORAL_JWT_PERMISSIONS_CLAIM"] == "permissions"
    assert env["USE_INTERNAL_FRONTEND"] == "true"  # its system worker bypasses the authorizer
    # The keys: make-certs.sh's public key and the identity provider's, from temporal-keys.
    conf = (DEPLOY / "temporal" / "token-keys.conf.template").read_text()
    keys = mounts("temporal-keys")["keys"]
    assert f"alias {keys}/jwks.json;" in conf and (made / "keys" / "jwks.json").is_file()
    assert "proxy_pass ${OIDC_JWKS_URL};" in conf and "proxy_ssl_verify on;" in conf
    assert "temporal" in networks_of("temporal-keys")
    for source, path in (("1", "/casework.json"), ("2", "/idp.json")):
        url = urlsplit(env[f"TEMPORAL_JWT_KEY_SOURCE{source}"])
        assert (url.hostname, url.port, url.path) == ("temporal-keys", 8080, path)
        assert f"location = {path} " in conf
    assert "listen 8080;" in conf


@pytest.mark.parametrize("service", ["api", "worker", "setup"])
def test_our_services_present_their_own_identity(
        service: str, made: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(service)
    assert mounts(service) == {service: "/run/secrets/temporal"}  # its own, no other's
    assert SERVICES[service]["env_file"] == [f"{OUT}{service}/temporal.env"]
    assert (made / service / "temporal.env").is_file()
    assert env["CASEWORK_TEMPORAL_TLS"] == "true"
    for key, name in (("CA", "ca.pem"), ("CERT", "cert.pem"), ("KEY", "key.pem")):
        assert env[f"CASEWORK_TEMPORAL_TLS_{key}_PATH"] == f"/run/secrets/temporal/{name}"
        assert (made / service / name).is_file()
    for key, value in env.items():
        if key.startswith("CASEWORK_TEMPORAL_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("CASEWORK_TEMPORAL_API_KEY", token_of(made, service))
    settings = Settings(_env_file=None)
    assert settings.temporal_tls and settings.temporal_api_key == token_of(made, service)
    assert settings.temporal_tls_cert_path == Path("/run/secrets/temporal/cert.pem")


def test_the_namespace_job_is_the_setup_identity() -> None:
    env = env_of("temporal-namespace")
    target = mounts("temporal-namespace")["setup"]
    assert SERVICES["temporal-namespace"]["env_file"] == [f"{OUT}setup/temporal.env"]
    assert env["TEMPORAL_TLS_CLIENT_CERT_PATH"] == f"{target}/cert.pem"
    assert env["TEMPORAL_TLS_CLIENT_KEY_PATH"] == f"{target}/key.pem"
    assert env["TEMPORAL_TLS_SERVER_CA_CERT_PATH"] == f"{target}/ca.pem"
    script = (DEPLOY / "temporal" / "create-namespace.sh").read_text()
    assert "CASEWORK_TEMPORAL_API_KEY" in script and "export TEMPORAL_API_KEY" in script
    assert subprocess.run(["sh", "-n", str(DEPLOY / "temporal" / "create-namespace.sh")],
                          check=False).returncode == 0


UI_READ_ONLY = ("TEMPORAL_DISABLE_WRITE_ACTIONS", "TEMPORAL_BATCH_ACTIONS_DISABLED",
                "TEMPORAL_WORKFLOW_TERMINATE_DISABLED", "TEMPORAL_WORKFLOW_RESET_DISABLED",
                "TEMPORAL_WORKFLOW_CANCEL_DISABLED", "TEMPORAL_WORKFLOW_SIGNAL_DISABLED",
                "TEMPORAL_START_WORKFLOW_DISABLED")


def test_the_web_ui_has_its_own_certificate_no_token_and_no_write_action(made: Path) -> None:
    env = env_of("temporal-ui")
    target = mounts("temporal-ui")["ui"]
    assert "env_file" not in SERVICES["temporal-ui"]
    for key, name in (("CA", "ca.pem"), ("CERT", "cert.pem"), ("KEY", "key.pem")):
        assert env[f"TEMPORAL_TLS_{key}"] == f"{target}/{name}"
        assert (made / "ui" / name).is_file()
    assert env["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    assert all(env[flag] == "true" for flag in UI_READ_ONLY)
    assert env["TEMPORAL_AUTH_ENABLED"] == "true"


# --- Kubernetes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("doc", [d for d in TEMPORAL_DOCS
                                 if d["apiVersion"] != "external-secrets.io/v1"],
                         ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_temporal_side_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get(
            "values", [])
        if not {"In": key in labels and labels[key] in values,
                "NotIn": labels.get(key) not in values,
                "Exists": key in labels, "DoesNotExist": key not in labels}[operator]:
            return False
    return True


def peers_on(port: int, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Every peer the Temporal namespace's policies let reach `port` of a pod so labelled."""
    peers: list[dict[str, Any]] = []
    for policy in of_kind(TEMPORAL_DOCS, "NetworkPolicy").values():
        spec = policy["spec"]
        if "Ingress" not in spec["policyTypes"] or not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("ingress", []):
            ports = rule.get("ports")
            if ports is None or any(p.get("port") == port for p in ports):
                peers += rule.get("from") or [{"anyone": True}]
    return peers


def pods() -> dict[str, dict[str, str]]:
    """The casework pods' labels, by workload."""
    found = {}
    for doc in CASEWORK_DOCS:
        if doc["kind"] in ("Deployment", "Job"):
            found[doc["metadata"]["name"]] = doc["spec"]["template"].get("metadata", {}).get(
                "labels", {})
        elif doc["kind"] == "CronJob":
            found[doc["metadata"]["name"]] = doc["spec"]["jobTemplate"]["spec"]["template"].get(
                "metadata", {}).get("labels", {})
    return found


def test_only_the_api_worker_setup_and_web_ui_reach_the_frontend() -> None:
    deny = [p for p in of_kind(TEMPORAL_DOCS, "NetworkPolicy").values()
            if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"]  # all else is refused
    frontend = {**CHART, "app.kubernetes.io/component": "frontend"}
    reached: set[str] = set()
    for peer in peers_on(7233, frontend):
        assert set(peer) <= {"namespaceSelector", "podSelector"}, peer  # no ipBlock, no anyone
        if "namespaceSelector" in peer:  # casework's pods
            assert peer["namespaceSelector"] == {
                "matchLabels": {"kubernetes.io/metadata.name": CASEWORK["namespace"]}}
            (workload,) = [w for w, labels in pods().items()
                           if selects(peer["podSelector"], labels)]
            reached.add(workload)
        else:  # the Temporal namespace's own: the Web UI only
            web = {**CHART, "app.kubernetes.io/component": "web"}
            assert selects(peer["podSelector"], web)
            for component in ("history", "matching", "worker", "internal-frontend", "database"):
                assert not selects(peer["podSelector"],
                                   {**CHART, "app.kubernetes.io/component": component})
            reached.add("temporal-web")
    assert reached == {"casework-api", "casework-worker", "casework-setup", "temporal-web"}
    # Its other ports: Temporal's own membership ring and Prometheus, nothing of casework's.
    for port in (7243, 7236, 7234):
        assert peers_on(port, frontend) == [], port
    # Temporal's other services: from Temporal's services only (same namespace, not the UI).
    for peer in peers_on(7234, {**CHART, "app.kubernetes.io/component": "history"}):
        assert set(peer) == {"podSelector"}, peer
        for component in ("web", "database", "admintools"):
            assert not selects(peer["podSelector"],
                               {**CHART, "app.kubernetes.io/component": component})


def identity_of(pod: dict[str, Any]) -> tuple[str | None, str | None]:
    """The Secret a pod's Temporal certificate comes from, and the one its token does."""
    config = of_kind(CASEWORK_DOCS, "ConfigMap")["casework"]["data"]
    folder = str(Path(config["CASEWORK_TEMPORAL_TLS_CERT_PATH"]).parent)
    (container,) = pod["containers"]
    mounted = {m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == folder}
    cert = next((v["secret"]["secretName"] for v in pod.get("volumes", [])
                 if v["name"] in mounted), None)
    token = next((e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
                  if e["name"] == "CASEWORK_TEMPORAL_API_KEY"), None)
    return cert, token


def test_each_casework_pod_that_reaches_temporal_mounts_its_own_identity() -> None:
    config = of_kind(CASEWORK_DOCS, "ConfigMap")["casework"]["data"]
    assert config["CASEWORK_TEMPORAL_TLS"] == "true"
    assert {Path(config[f"CASEWORK_TEMPORAL_TLS_{k}_PATH"]).name for k in ("CA", "CERT", "KEY")} \
        == {"ca.pem", "cert.pem", "key.pem"}
    secrets = {s["spec"]["target"]["name"]: {d["secretKey"] for d in s["spec"]["data"]}
               for s in of_kind(CASEWORK_DOCS, "ExternalSecret").values()}
    workloads = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in CASEWORK_DOCS
                 if d["kind"] in ("Deployment", "Job")}
    for workload, who in (("casework-api", "api"), ("casework-worker", "worker"),
                          ("casework-setup", "setup")):
        cert, token = identity_of(workloads[workload])
        assert cert == token == f"casework-temporal-{who}", workload
        assert secrets[cert] == {"ca.pem", "cert.pem", "key.pem", "token"}
        (volume,) = [v for v in workloads[workload]["volumes"] if v.get("secret", {}).get(
            "secretName") == cert]
        assert volume["secret"]["defaultMode"] == 0o440  # fsGroup reads, others do not
        assert workloads[workload]["securityContext"]["fsGroup"] == 10001
    # The audit checks never talk to Temporal: no identity.
    for cronjob in of_kind(CASEWORK_DOCS, "CronJob").values():
        assert identity_of(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]) == (
            None, None)


def test_the_chart_s_frontend_requires_client_certificates_and_authorizes_by_token() -> None:
    server = VALUES["server"]
    tls = server["config"]["tls"]
    (mount,) = server["additionalVolumeMounts"]
    (volume,) = server["additionalVolumes"]
    assert volume["name"] == mount["name"] and volume["secret"]["secretName"] == "temporal-tls"
    files = {d["secretKey"] for d in
             of_kind(TEMPORAL_DOCS, "ExternalSecret")["temporal-tls"]["spec"]["data"]}
    for section in ("frontend", "internode"):
        assert tls[section]["server"]["requireClientAuth"] is True
        for path in (tls[section]["server"]["certFile"], tls[section]["server"]["keyFile"],
                     *tls[section]["server"]["clientCaFiles"]):
            assert Path(path).parent == Path(mount["mountPath"]) and Path(path).name in files
    assert [Path(p).name for p in tls["frontend"]["server"]["clientCaFiles"]] == ["client-ca.pem"]
    assert [Path(p).name for p in tls["internode"]["server"]["clientCaFiles"]] == ["server-ca.pem"]
    authorization = server["config"]["authorization"]
    assert authorization["authorizer"] == authorization["claimMapper"] == "default"
    assert authorization["permissionsClaimName"] == "permissions"
    assert authorization["audience"] == "temporal"  # make-certs.sh's tokens carry it
    ours, provider = authorization["jwtKeyProvider"]["keySourceURIs"]
    url = urlsplit(ours)
    service = of_kind(TEMPORAL_DOCS, "Service")["temporal-token-keys"]
    assert url.hostname == f"temporal-token-keys.{TEMPORAL['namespace']}.svc"
    assert url.port == service["spec"]["ports"][0]["port"] and url.path == "/casework.json"
    config = of_kind(CASEWORK_DOCS, "ConfigMap")["casework"]["data"]
    assert provider == config["CASEWORK_AUTH_JWKS_URL"]
    assert server["internal-frontend"]["enabled"] is True
    assert server["frontend"]["readinessProbe"] == {"tcpSocket": {"port": 7233}}
    assert VALUES["admintools"]["enabled"] is False  # no admin pod, no operator's certificate
    # The casework address is the release's frontend Service, in the policies' namespace.
    host = config["CASEWORK_TEMPORAL_ADDRESS"].rsplit(":", 1)[0]
    assert host == f"temporal-frontend.{TEMPORAL['namespace']}"


def test_the_token_key_server_serves_the_secret_s_keys_to_the_frontend() -> None:
    deployment = of_kind(TEMPORAL_DOCS, "Deployment")["temporal-token-keys"]
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounted = {m["mountPath"]: volumes[m["name"]] for m in pod["containers"][0]["volumeMounts"]}
    assert mounted["/srv/keys"]["secret"]["secretName"] == "temporal-token-keys"
    conf = of_kind(TEMPORAL_DOCS, "ConfigMap")["temporal-token-keys"]["data"]["default.conf"]
    assert "alias /srv/keys/jwks.json;" in conf and "listen 8080;" in conf
    assert {d["secretKey"] for d in of_kind(TEMPORAL_DOCS, "ExternalSecret")[
        "temporal-token-keys"]["spec"]["data"]} == {"jwks.json"}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (peer,) = peers_on(8080, labels)
    assert peer == {"podSelector": {"matchLabels": {**{"app.kubernetes.io/name": "temporal"},
                                                    "app.kubernetes.io/component": "frontend"}}}


def test_the_chart_s_web_ui_has_its_certificate_and_no_write_action() -> None:
    web = VALUES["web"]
    env = {e["name"]: e.get("value") for e in web["additionalEnv"]}
    (mount,) = web["additionalVolumeMounts"]
    (volume,) = web["additionalVolumes"]
    assert volume["secret"]["secretName"] == "temporal-web" and volume["name"] == mount["name"]
    files = {d["secretKey"] for d in
             of_kind(TEMPORAL_DOCS, "ExternalSecret")["temporal-web"]["spec"]["data"]}
    for key in ("TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY"):
        path = Path(env[key])
        assert path.parent == Path(mount["mountPath"]) and path.name in files
    assert env["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    assert all(env[flag] == "true" for flag in UI_READ_ONLY)
    assert env["TEMPORAL_AUTH_ENABLED"] == "true"


def test_compose_and_the_chart_run_the_same_temporal() -> None:
    images = {svc["image"].split(":")[0]: svc["image"].split(":")[1]
              for svc in SERVICES.values()}
    dynamic = yaml.safe_load((DEPLOY / "temporal" / "dynamicconfig.yaml").read_text())
    assert VALUES["server"]["dynamicConfig"] == dynamic
    assert VALUES["server"]["image"]["tag"] == images["temporalio/server"]
    assert VALUES["admintools"]["image"]["tag"] == images["temporalio/admin-tools"]
    assert VALUES["web"]["image"]["tag"] == images["temporalio/ui"]
