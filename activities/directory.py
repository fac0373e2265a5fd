"""The agency directory: who the agencies are and how to reach them. A YAML file, not code.

Read again whenever the file changes, so an operator who fixes an address can re-send a failed
notification without restarting anything. Webhook secrets are named here and read from the
environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from workflows.state import Selector
from workflows.vocabulary import (
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


def load(path: Path) -> Directory:
    """The directory as the file is now (parsed again only when it changed)."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed(path: Path, _mtime_ns: int, _size: int) -> Directory:
    # The file's modification time and size are part of the cache key only.
    return Directory.model_validate(yaml.safe_load(path.read_text()))
