"""The agency directory: who the agencies are and how to reach them. A YAML file, not code.

Read again whenever the file changes, so an operator who fixes an address can re-send a failed
notification without restarting anything. Webhook secrets are named here and read from the
environment.

A webhook's body carries case data and its signature, so outside development a webhook must be
`https://` (TLS verified by the system's trust store); in development plain `http://` is allowed
to this machine only (loopback), where test and local receivers listen.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from activities.mail_words import Language
from infra.settings import loopback
from workflows.model.state import Selector
from workflows.model.vocabulary import (
    AgencyType,
    Ident,
    Office,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Webhook(_Model):
    kind: Literal["webhook"] = "webhook"
    url: HttpUrl
    secret_env: str = Field(description="Environment variable holding the HMAC secret.")


class Email(_Model):
    kind: Literal["email"] = "email"
    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


Channel = Annotated[Webhook | Email, Field(discriminator="kind")]


class Agency(_Model):
    id: Ident
    type: AgencyType
    name: str
    offices: list[Office] = Field(default=[], description="Offices served; empty: all.")
    municipality: str | None = None
    channels: list[Channel] = Field(min_length=1)
    language: Language = Field(default="fi", description="The language its e-mails are in.")


class Directory(_Model):
    agencies: list[Agency]

    def resolve(self, selector: Selector) -> list[Agency]:
        if selector.agency_id:
            return [a for a in self.agencies if a.id == selector.agency_id]
        return [a for a in self.agencies if a.type == selector.agency_type
                and (selector.municipality is None
                     or (a.municipality or "").casefold() == selector.municipality.casefold())
                and (selector.office is None or not a.offices or selector.office in a.offices)]

    def get(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)


class UnsafeWebhook(ValueError):
    """A webhook the environment does not allow: the directory is refused until it is fixed."""


def load(path: Path, environment: str = "production") -> Directory:
    """The directory as the file is now (parsed again only when it changed), checked for the
    environment (`Settings.environment`). Without one, the strict rules of production: a caller
    that forgets to say it is in development is refused plain http, never allowed it."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size, environment)


@lru_cache(maxsize=8)
def _parsed(path: Path, _mtime_ns: int, _size: int, environment: str) -> Directory:
    # The file's modification time and size are part of the cache key only.
    directory = Directory.model_validate(yaml.safe_load(path.read_text()))
    for agency in directory.agencies:
        for index, channel in enumerate(agency.channels):
            if isinstance(channel, Webhook):
                _check_transport(agency.id, index, channel, environment)
    return directory


def _check_transport(agency_id: str, index: int, channel: Webhook, environment: str) -> None:
    if channel.url.scheme == "https":
        return
    where = f"agency '{agency_id}', channel {index}: webhook is plain {channel.url.scheme}://"
    if environment != "development":
        raise UnsafeWebhook(f"{where}; outside development a webhook must be https:// (its body "
                            "carries case data and its signature)")
    host = channel.url.host or ""
    if not (host == "localhost" or loopback(host)):
        raise UnsafeWebhook(f"{where} to another machine; even in development plain http is "
                            "allowed to loopback only (127.0.0.1, ::1, localhost)")

