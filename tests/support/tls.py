"""Throwaway certificates and a mail relay that speaks TLS, for the tests of mail over verified
TLS: a private CA and the certificates it signs (or an impostor's own, self-signed), made with
`cryptography` for 127.0.0.1 and localhost; and the test mailbox behind STARTTLS or implicit TLS,
offering AUTH and recording every AUTH attempt, so a test sees whether a password left."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.receivers import Mailbox

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


@dataclass
class Issued:
    """A certificate and its key, as PEM files in a folder."""

    cert: Path
    key: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(folder: Path, stem: str, cert: x509.Certificate,
           key: ec.EllipticCurvePrivateKey) -> Issued:
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Issued(cert_path, key_path, cert, key)


def _builder(subject: str, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)))


def authority(folder: Path, common_name: str = "Test relay CA") -> Issued:
    """A private CA: what an organisation's own PKI would sign its relay's certificate with."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(common_name, _name(common_name), key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return _write(folder, "ca", cert, key)


def server_certificate(folder: Path, issuer: Issued | None,
                       names: tuple[str, ...] = LOOPBACK_NAMES, stem: str = "relay") -> Issued:
    """A relay's certificate for `names`, signed by `issuer`; None: self-signed (an impostor's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    issuer_name = issuer.certificate.subject if issuer else _name(names[0])
    signer = issuer.private_key if issuer else key
    cert = (_builder(names[0], issuer_name, key.public_key())
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(signer, hashes.SHA256()))
    return _write(folder, stem, cert, key)


@dataclass
class TlsMailbox(Mailbox):
    """The test mailbox as a relay: TLS ("starttls" offers it, "implicit" speaks it from the
    first byte, "plain" offers none) and AUTH, where every attempt is recorded (even one the
    relay would refuse), and mail is accepted only from a client that logged in."""

    mode: str = "starttls"
    identity: Issued | None = None
    credentials: tuple[str, str] = ("casework", "relay-password")
    auth_attempts: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    in_clear: list[str] = field(default_factory=list)  # AUTH, MAIL, DATA said without TLS

    def _saw(self, command: str, server: Any) -> None:
        self.commands.append(command)
        if server.transport.get_extra_info("ssl_object") is None:
            self.in_clear.append(command)

    def _authenticate(self, server: Any, _session: Any, _envelope: Any, _mechanism: str,
                      data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            login = (data.login.decode(), data.password.decode())
            self._saw("AUTH", server)
            self.auth_attempts.append(login)
            return AuthResult(success=login == self.credentials)
        return AuthResult(success=False)

    async def handle_EHLO(self, _server: Any, session: Any, _envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.commands.append("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, _session: Any, envelope: Any, address: str,
                          _options: list[str]) -> str:
        self._saw("MAIL", server)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._saw("DATA", server)
        return await super().handle_DATA(server, session, envelope)

    def start(self) -> TlsMailbox:
        context = self.identity.server_context() if self.identity else None
        options: dict[str, Any] = {
            "authenticator": self._authenticate, "auth_required": True,
            # A relay that offers AUTH before TLS: only the client keeps the password back.
            "auth_require_tls": False}
        if self.mode == "starttls":
            options |= {"tls_context": context, "require_starttls": False}
        tls = context if self.mode == "implicit" else None
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                      ssl_context=tls, **options)
        self._controller.start()
        return self
