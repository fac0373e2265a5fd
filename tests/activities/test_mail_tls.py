"""Mail to agencies goes over verified TLS (issue 23): a relay on loopback with a certificate of
a throwaway CA gets the mail and the password; an impostor (its own certificate, or one for
another host) and a relay that does not offer STARTTLS get neither. Plain mail, and plain-http
webhooks, only in development."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
import yaml
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.directory import UnsafeWebhook, load
from activities.notifications import NotificationActivities
from infra.settings import Settings
from tests.support import factories as f
from tests.support.tls import Issued, TlsMailbox, authority, server_certificate
from workflows.model.contracts import Delivered, Delivery

# The test relays offer AUTH before TLS on purpose: what an impostor would do to get a password.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "casework", "relay-password"
DELIVERY = Delivery(notification_id="N1", key="case-aaaaaaaaaaaaaaaaaaaa:N1",
                    agency_id="police-test", purpose="police_contact",
                    case_id="case-aaaaaaaaaaaaaaaaaaaa", message={"asked": "contact"})


@pytest.fixture
def ca(tmp_path: Path) -> Issued:
    return authority(tmp_path / "pki")


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    path = tmp_path / "agencies.yaml"
    path.write_text(yaml.safe_dump({"agencies": [
        {"id": "police-test", "type": "police", "name": "Test police",
         "channels": [{"kind": "email", "address": "police@test.example"}]}]}))
    return path


@pytest.fixture
def relays() -> Iterator[list[TlsMailbox]]:
    started: list[TlsMailbox] = []
    yield started
    for relay in started:
        relay.stop()


def relay(relays: list[TlsMailbox], mode: str, identity: Issued | None) -> TlsMailbox:
    started = TlsMailbox(mode=mode, identity=identity, credentials=(USER, PASSWORD)).start()
    relays.append(started)
    return started


def settings_for(box: TlsMailbox, security: str, ca: Issued, directory: Path,
                 tmp_path: Path) -> Settings:
    return Settings(smtp_port=box.port, smtp_security=security, smtp_ca_file=ca.cert,
                    smtp_username=USER, smtp_password=PASSWORD, agency_directory=directory,
                    delivery_timeout_seconds=5, data_dir=tmp_path, _env_file=None)


async def deliver(settings: Settings) -> Delivered:
    activities = NotificationActivities(settings, f.consent_holds)
    return await ActivityEnvironment().run(activities.deliver, DELIVERY)


@pytest.mark.parametrize("security", ["starttls", "implicit"])
async def test_a_relay_the_ca_vouches_for_gets_the_mail(
        security: str, ca: Issued, directory: Path, tmp_path: Path,
        relays: list[TlsMailbox]) -> None:
    box = relay(relays, security, server_certificate(tmp_path / "pki", ca))
    done = await deliver(settings_for(box, security, ca, directory, tmp_path))
    assert done.channels == ["0:email"]
    assert box.auth_attempts == [(USER, PASSWORD)] and box.in_clear == []
    [mail] = box.messages
    assert mail["To"] == "police@test.example" and DELIVERY.case_id in mail["Subject"]


@pytest.mark.parametrize("security", ["starttls", "implicit"])
@pytest.mark.parametrize("impostor", ["self-signed", "another host's"])
async def test_an_impostor_relay_gets_no_password_and_no_mail(
        security: str, impostor: str, ca: Issued, directory: Path, tmp_path: Path,
        relays: list[TlsMailbox]) -> None:
    """What happened in issue 23, and its cousin: a certificate of the trusted CA, but for
    another host name (stolen from another of the organisation's servers)."""
    identity = (server_certificate(tmp_path / "impostor", None) if impostor == "self-signed"
                else server_certificate(tmp_path / "pki", ca, names=("mail.other.example",)))
    box = relay(relays, security, identity)
    with pytest.raises(ApplicationError) as refused:
        await deliver(settings_for(box, security, ca, directory, tmp_path))
    assert box.auth_attempts == [] and box.messages == []
    assert "MAIL" not in box.commands and "DATA" not in box.commands
    message = str(refused.value)
    assert "certificate was not trusted" in message and not refused.value.non_retryable
    assert PASSWORD not in message and "police@test.example" not in message


async def test_a_relay_without_starttls_gets_nothing(
        ca: Issued, directory: Path, tmp_path: Path, relays: list[TlsMailbox]) -> None:
    """A relay (or someone in between who strips the offer) that answers in plain text and
    offers AUTH there: no fall back to plain text, the password stays home."""
    box = relay(relays, "plain", None)
    with pytest.raises(ApplicationError, match="did not offer STARTTLS"):
        await deliver(settings_for(box, "starttls", ca, directory, tmp_path))
    assert box.commands == ["EHLO"]
    assert box.auth_attempts == [] and box.messages == []


def test_plain_mail_is_for_development_only(tmp_path: Path) -> None:
    production = {"environment": "production", "temporal_address": "temporal:7233",
                  "auth_jwks_url": "https://idp.example/jwks",
                  "payload_keys": "k1:" + "A" * 43, "_env_file": None}
    with pytest.raises(ValueError, match="SMTP_SECURITY=none is refused outside development"):
        Settings(smtp_security="none", **production)
    assert Settings(**production).mail_security == "starttls"  # unset: verified TLS
    assert Settings(smtp_security="implicit", **production).mail_security == "implicit"
    assert Settings(_env_file=None).mail_security == "none"  # the local outbox
    assert Settings(smtp_starttls=True, _env_file=None).mail_security == "starttls"
    with pytest.raises(ValueError, match="credentials are never sent in the clear"):
        Settings(smtp_username=USER, _env_file=None)
    with pytest.raises(ValueError, match="contradicts"):
        Settings(smtp_starttls=True, smtp_security="none", _env_file=None)
    with pytest.raises(ValueError, match="cannot be read"):
        Settings(smtp_ca_file=tmp_path / "missing.pem", _env_file=None)


@pytest.mark.parametrize(("url", "development", "production"), [
    ("http://127.0.0.1:8080/casework", True, False),
    ("http://localhost/casework", True, False),
    ("http://[::1]/casework", True, False),
    ("http://agency.example/casework", False, False),
    ("https://agency.example/casework", True, True),
])
def test_webhooks_are_https_outside_development(
        url: str, development: bool, production: bool, tmp_path: Path) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_text(yaml.safe_dump({"agencies": [
        {"id": "police-test", "type": "police", "name": "Test police",
         "channels": [{"kind": "email", "address": "police@test.example"},
                      {"kind": "webhook", "url": url, "secret_env": "CASEWORK_SECRET_T"}]}]}))
    for environment, allowed in (("development", development), ("production", production)):
        if allowed:
            assert load(path, environment).get("police-test") is not None
            continue
        with pytest.raises(UnsafeWebhook, match="agency 'police-test', channel 1") as refused:
            load(path, environment)
        why = "must be https://" if environment == "production" else "loopback only"
        assert why in str(refused.value)
    with nullcontext() if production else pytest.raises(UnsafeWebhook):
        load(path)  # a caller that does not say: production's rules


async def test_a_delivery_refuses_a_plain_webhook_in_production(
        directory: Path, tmp_path: Path) -> None:
    directory.write_text(yaml.safe_dump({"agencies": [
        {"id": "police-test", "type": "police", "name": "Test police",
         "channels": [{"kind": "webhook", "url": "http://127.0.0.1:9/casework",
                       "secret_env": "CASEWORK_SECRET_T"}]}]}))
    settings = Settings(environment="production", temporal_address="temporal:7233",
                        auth_jwks_url="https://idp.example/jwks", payload_keys="k1:" + "A" * 43,
                        agency_directory=directory, data_dir=tmp_path, _env_file=None)
    with pytest.raises(UnsafeWebhook, match="agency 'police-test'.*must be https://"):
        await deliver(settings)

