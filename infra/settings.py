"""All configuration, read from `CASEWORK_*` environment variables (and a `.env` file).

The defaults run everything embedded on one machine. Production points the same processes at a
Temporal cluster and PostgreSQL by setting variables; `deploy/compose.yaml` shows which.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.compression import METHODS, NEWEST
from infra.keysource import FromFile, FromVariable, KeySource

# What a boolean setting accepted (pydantic's words for yes and no).
TRUE_WORDS = frozenset({"true", "1", "yes", "on", "t", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "f", "n"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEWORK_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")

    # Temporal. Without an address, `casework run` starts the embedded dev server.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "cases"
    # Cases a worker keeps in memory between their steps (Temporal's sticky cache). A case not
    # held is replayed from its history when it is next read or stepped (tens of milliseconds
    # for a short history). The worker's memory grows to about this many times a cached case's
    # size, about 0.25 MB (bench/README.md, Memory).
    worker_cached_cases: int = Field(default=1000, ge=1, le=100_000)
    # How long a stopping worker lets its activities under way finish (a delivery's attempt
    # takes at most 2 minutes; keep the platform's grace period longer than this).
    worker_shutdown_seconds: float = Field(default=45.0, ge=0, le=600)
    # Worker Versioning (worker/versioning.py): a case's run is served by the build it started
    # on. The build id is by default a digest of the worker's code; a deploy may name it (the
    # image's tag). A starting worker makes its build current (`worker_promote`: "newer", unless
    # an older build than the current one; "always"; "off": `casework promote` does), and moves
    # on the runs of other builds, overriding after the grace those that did not move (longer
    # than a delivery's attempt, which a woken run lets finish first).
    worker_versioning: bool = True
    worker_deployment: str = Field(default="casework", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    worker_build_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    worker_promote: Literal["newer", "always", "off"] = "newer"
    worker_move_on_grace_seconds: float = Field(default=150.0, ge=0, le=86_400)
    temporal_tls: bool = False
    temporal_tls_server_name: str | None = None
    temporal_tls_ca_path: Path | None = None
    temporal_tls_cert_path: Path | None = None
    temporal_tls_key_path: Path | None = None
    temporal_api_key: str | None = None
    # Embedded dev server ports (used only when temporal_address is unset).
    dev_server_port: int = 7233
    dev_server_ui_port: int = 8233

    # Continue-as-new once a case's run history reaches this many events.
    case_history_limit: int = Field(default=2000, ge=20)

    # Notifications: the agency directory, and the mail server for e-mail channels. Without
    # CASEWORK_TEMPORAL_ADDRESS, `casework run` starts a local outbox on smtp_port.
    agency_directory: Path = Path("config/agencies.yaml")
    # The staff directory: whom the console offers as a caseworker or deciding lead (by name).
    staff_directory: Path = Path("config/staff.yaml")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    # How mail reaches the relay: "starttls" (port 587: TLS before anything else is said, and
    # refused if the relay does not offer it), "implicit" (port 465: TLS from the first byte) or
    # "none" (development only: the local outbox). Unset: "starttls" outside development or when
    # the older switch smtp_starttls is on, "none" otherwise (`mail_security`). TLS always checks
    # the relay's certificate chain and host name: an impostor relay gets no password and no mail.
    smtp_security: Literal["implicit", "starttls", "none"] | None = None
    # A PEM bundle of the private CA the relay's certificate chains to; unset: the system's
    # trust store. Set, only this bundle is trusted.
    smtp_ca_file: Path | None = None
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_sender: str = "casework@auttamisjarjestelma.example"
    # The console's address as agencies reach it: the link an e-mail gives to sign in. Unset:
    # this machine's API address (the embedded defaults).
    public_url: str | None = None
    delivery_timeout_seconds: float = 30.0
    # How long a notification is retried before it shows as failed.
    delivery_give_up_days: float = 7.0
    # A client plan comes into force only when the lead of the case's office approves it.
    plan_approval_required: bool = False

    # The read model and audit log. Unset: a SQLite file in the data folder. Production:
    # postgresql+psycopg://user:password@host/db
    database_url: str | None = None
    # The audit log. Unset: the read model's database, or, on the embedded defaults, a SQLite
    # file of its own (so the API's audit writes and the worker's projections never wait on one
    # lock). Production may give it a database of its own, where the API may only insert.
    audit_database_url: str | None = None
    # How often a round of the cluster's archive schedule copies closed runs' histories into the
    # database (one round at a time, whatever the number of workers).
    archive_interval_seconds: float = Field(default=300.0, gt=0)

    # Bearer tokens. Production: the identity provider's issuer, this API's audience and the
    # provider's JWKS URL. Unset JWKS URL (development only): tokens signed by a local key,
    # minted by `casework token`.
    auth_issuer: str = "casework-local"
    auth_audience: str = "casework-api"
    auth_jwks_url: str | None = None
    auth_signing_key: Path | None = None  # default: <data dir>/keys/token-signing.pem
    auth_role_claim: str = "casework_role"
    auth_agency_claim: str = "casework_agency"
    auth_office_claim: str = "casework_office"
    # The longest a token may be valid (exp - iat): a token minted to last for ever is refused.
    auth_max_token_hours: float = Field(default=24.0, gt=0)
    # The console signs people in with OpenID Connect (authorization code with PKCE) at the same
    # provider, as a client whose id is the API's audience (so its ID tokens verify like bearer
    # tokens); discovery defaults to `<issuer>/.well-known/openid-configuration`.
    console_oidc_discovery_url: str | None = None
    console_oidc_client_secret: str | None = Field(default=None, repr=False)

    # Master keys of payload encryption, `kid:base64url(32 bytes)`, newest first: in this
    # variable, or in a file the platform mounts from its secret store (read at start; the
    # variable then stays unset). Neither (development only): a key file created in the data
    # folder.
    payload_keys: str | None = Field(default=None, repr=False)
    payload_keys_file: Path | None = None
    # Read, in a case's workflow, payloads that are not sealed under the case's key: only for a
    # worker that replays histories recorded before encryption (or before keys per case). Off,
    # a case takes nothing but what the API sealed for it (docs/security.md).
    legacy_payloads: bool = False
    # How payloads are compressed before they are sealed: a method of `infra.compression`, or
    # "off". An older method (or "off") only while a cluster still runs a release that cannot
    # read the newest (or any): upgrade with the one it reads, then return to the default.
    payload_compression: str = NEWEST.decode()
    # Origins allowed to call the codec endpoint (the Temporal Web UI).
    codec_cors_origins: list[str] = []

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The time one request may take: every call it makes to Temporal or a database shares it,
    # and past it the answer is 503 with Retry-After.
    api_request_budget_seconds: float = Field(default=10.0, gt=0)
    # The host names the API answers to (its Host header; `*.example.fi` for a domain's). Unset:
    # this machine's (127.0.0.1, localhost, ::1) and CASEWORK_API_HOST unless that is 0.0.0.0
    # or ::. Behind a proxy, set the names people reach it by. /healthz and /readyz answer any.
    trusted_hosts: list[str] | None = None

    # Rate limits (docs/security.md, Floods; api/floods.py), in the `limits` notation, several
    # separated by ";": per client address (the connection's, or X-Forwarded-For only where uvicorn
    # trusts the proxy that sent it, FORWARDED_ALLOW_IPS), per person (a token's subject, a
    # console session's person), and stricter ones per address for the console's sign-in, the
    # codec endpoint and the audit chain check. Health checks are not counted. Sized for a few
    # hundred staff, an office of them behind one address.
    rate_limit_per_client: str = "50/second;1200/minute"
    rate_limit_per_person: str = "30/second;900/minute"
    rate_limit_sign_in: str = "30/minute;300/hour"
    rate_limit_codec: str = "30/second;600/minute"
    rate_limit_audit_verify: str = "3/minute;30/hour"
    # The public referral form (its page and its submissions together), per address: room for a
    # person to correct a form a few times, not for a flood of referrals from one source.
    rate_limit_public_referral: str = "6/minute;30/hour"
    # How long a refusal over a limit is held before it is answered: a client flooding on a few
    # connections then gets a few refusals a second, not thousands.
    rate_limit_delay_seconds: float = Field(default=1.0, ge=0, le=10)
    # Where the counts are kept: "memory://" (this process only: the embedded defaults), or a
    # Redis that every API process shares (redis://host:6379/0, rediss:// over TLS).
    rate_limit_storage: str = "memory://"
    # Where a case's documents are kept, sealed under the case's key (store/attachments.py):
    # empty, the data folder's `attachments/`; `s3://bucket` an S3-compatible object store,
    # at `attachment_endpoint` if not AWS's own (credentials as boto3 finds them: the
    # AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables, a role, a profile).
    attachment_store: str = Field(default="", pattern=r"^(|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")
    attachment_endpoint: str | None = None
    attachment_region: str = "eu-north-1"
    # The languages the public referral form (/refer) speaks, the first its default.
    public_referral_languages: list[Literal["fi", "sv", "en"]] = Field(
        default=["fi", "sv", "en"], min_length=1)
    # How often expired console sessions and abandoned sign-ins are deleted.
    session_sweep_seconds: float = Field(default=300.0, gt=0)

    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    # Traces and metrics go to an OTLP/HTTP collector when this is set, nowhere otherwise.
    otlp_endpoint: str | None = None
    service_name: str = "casework"
    # This process's metrics (its own and the Temporal SDK's) for Prometheus to scrape, at
    # http://<metrics_host>:<metrics_port>/metrics; unset: none served. `casework run` gives
    # the API and the worker `api_metrics_port` and `worker_metrics_port`.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    api_metrics_port: int = Field(default=9464, ge=1, le=65535)
    worker_metrics_port: int = Field(default=9465, ge=1, le=65535)

    @field_validator("payload_compression", mode="before")
    @classmethod
    def _compression_method(cls, value: object) -> str:
        """A method's name; or a yes or no, what the setting took before there were methods."""
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return NEWEST.decode()
        if word in FALSE_WORDS:
            return "off"
        if word.encode() not in METHODS:
            known = ", ".join(m.decode() for m in METHODS)
            raise ValueError(f"a compression method ({known}), or off")
        return word

    @field_validator("rate_limit_per_client", "rate_limit_per_person", "rate_limit_sign_in",
                     "rate_limit_codec", "rate_limit_audit_verify", "rate_limit_public_referral")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        """Limits such as "50/second;1200/minute", each a positive count per period."""
        try:
            parsed = parse_many(value)
        except ValueError:
            parsed = []
        if not parsed or any(item.amount < 1 for item in parsed):
            raise ValueError('limits such as "50/second;1200/minute" (per second, minute, '
                             'hour or day)')
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(("redis://", "rediss://")):
            raise ValueError("memory://, or a Redis URL (redis://host:6379/0, rediss://…)")
        return value

    @model_validator(mode="after")
    def _keys_file_readable(self) -> Settings:
        if self.payload_keys is not None and self.payload_keys_file is not None:
            raise ValueError("set CASEWORK_PAYLOAD_KEYS or CASEWORK_PAYLOAD_KEYS_FILE, not both")
        if self.payload_keys_file is not None and not os.access(self.payload_keys_file, os.R_OK):
            raise ValueError(f"CASEWORK_PAYLOAD_KEYS_FILE {self.payload_keys_file} cannot be "
                             "read")
        return self

    @model_validator(mode="after")
    def _mail_over_verified_tls(self) -> Settings:
        if self.smtp_starttls and self.smtp_security not in (None, "starttls"):
            raise ValueError(f"CASEWORK_SMTP_STARTTLS contradicts CASEWORK_SMTP_SECURITY="
                             f"{self.smtp_security}: set CASEWORK_SMTP_SECURITY only")
        if self.mail_security == "none":
            if self.environment != "development":
                raise ValueError("CASEWORK_SMTP_SECURITY=none is refused outside development: "
                                 "mail and the relay's password would cross the network in the "
                                 "clear; use starttls (port 587) or implicit (port 465)")
            if self.smtp_username:
                raise ValueError("CASEWORK_SMTP_USERNAME needs CASEWORK_SMTP_SECURITY starttls "
                                 "or implicit: credentials are never sent in the clear")
        if self.smtp_ca_file is not None and not os.access(self.smtp_ca_file, os.R_OK):
            raise ValueError(f"CASEWORK_SMTP_CA_FILE {self.smtp_ca_file} cannot be read")
        return self

    @model_validator(mode="after")
    def _no_embedded_defaults_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.temporal_address is None:
            raise ValueError("production needs CASEWORK_TEMPORAL_ADDRESS: the embedded dev "
                             "server is for development only")
        if self.payload_keys is None and self.payload_keys_file is None:
            raise ValueError("production needs CASEWORK_PAYLOAD_KEYS or _FILE: payload keys "
                             "come from configuration, never from a file the process made")
        if self.auth_jwks_url is None:
            raise ValueError("production needs CASEWORK_AUTH_JWKS_URL (and _ISSUER, "
                             "_AUDIENCE): locally signed tokens are for development only")
        return self

    def payload_key_source(self) -> KeySource | None:
        """Where configuration says the master keys are (the variable, or the mounted file)."""
        if self.payload_keys is not None:
            return FromVariable(self.payload_keys)
        return FromFile(self.payload_keys_file) if self.payload_keys_file else None

    @staticmethod
    def secret(name: str) -> str | None:
        """A webhook secret the directory names. Only CASEWORK_SECRET_* variables: a directory
        entry must not be able to send any other variable of the process to an agency."""
        if not name.startswith("CASEWORK_SECRET_"):
            return None
        value = os.environ.get(name)
        return value or None

    @property
    def compression(self) -> bytes | None:
        """The compression method new payloads are sealed with (None: uncompressed)."""
        return None if self.payload_compression == "off" else self.payload_compression.encode()

    @property
    def mail_security(self) -> Literal["implicit", "starttls", "none"]:
        """How mail reaches the relay (smtp_security, or what its absence means here)."""
        if self.smtp_security is not None:
            return self.smtp_security
        if self.smtp_starttls or self.environment != "development":
            return "starttls"
        return "none"

    @property
    def embedded(self) -> bool:
        return self.temporal_address is None

    @property
    def dev_sign_in(self) -> bool:
        """Anyone may sign in as anyone: the console's development sign-in, and bearer tokens
        signed by the local key (`casework token`). Only without an identity provider, on the
        embedded defaults, with the API on loopback (`check_sign_in` refuses the rest)."""
        return self.auth_jwks_url is None and self.dev_sign_in_refusal() is None

    def dev_sign_in_refusal(self) -> str | None:
        """Why the development sign-in may not run with these settings, and what to set
        instead; None where it may (not production, the embedded Temporal dev server as
        `casework run` starts it, the API listening on loopback only)."""
        provider = ("set CASEWORK_AUTH_JWKS_URL (and CASEWORK_AUTH_ISSUER, "
                    "CASEWORK_AUTH_AUDIENCE) to the identity provider's")
        if self.environment == "production":
            return f"production signs people in with the identity provider: {provider}"
        if not self.embedded:
            return ("without an identity provider anyone may sign in as anyone, which is for "
                    "the embedded defaults only, and CASEWORK_TEMPORAL_ADDRESS is set: "
                    f"{provider}, or unset CASEWORK_TEMPORAL_ADDRESS")
        if not loopback(self.api_host):
            return ("without an identity provider anyone may sign in as anyone, which is for "
                    "an API on loopback only, and CASEWORK_API_HOST is "
                    f"{self.api_host!r}: {provider}, or set CASEWORK_API_HOST to 127.0.0.1 "
                    "or ::1")
        return None

    def check_sign_in(self) -> None:
        """Refuse (ValueError, saying what to set) an API with neither an identity provider
        nor the conditions of the development sign-in: nothing falls back to it."""
        if self.auth_jwks_url is None and (why := self.dev_sign_in_refusal()) is not None:
            raise ValueError(why)

    @property
    def audit_database(self) -> str:
        if self.audit_database_url:
            return self.audit_database_url
        return self.database_url or f"sqlite:///{self.data_dir / 'audit.db'}"

    @property
    def allowed_hosts(self) -> list[str]:
        """The host names the API answers to (`trusted_hosts`, or this machine's)."""
        if self.trusted_hosts is not None:
            return self.trusted_hosts
        hosts = ["127.0.0.1", "localhost", "[::1]"]
        if self.api_host not in ("0.0.0.0", "::", "[::]", *hosts, "::1"):
            hosts.append(self.api_host if ":" not in self.api_host else f"[{self.api_host}]")
        return hosts

    @property
    def signing_key_path(self) -> Path:
        return self.auth_signing_key or self.data_dir / "keys" / "token-signing.pem"

    @property
    def console_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'casework.db'}"

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.dev_server_port}"


def loopback(host: str) -> bool:
    """An address only this machine reaches: 127.0.0.0/8 or ::1 (written out, not a name)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    return Settings()
