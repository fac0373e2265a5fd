"""The staff directory: the assistance system's caseworkers and office leads by name, for the
console to offer as a case's caseworker and as the lead who decides, instead of ids typed by
hand. A YAML file like the agency directory (`config/staff.yaml` on the embedded defaults; an
export of the identity provider in production), read again whenever it changes. It names
people; it grants nothing (the identity provider and the role table do)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from workflows.model.vocabulary import Ident, Office

Duty = Literal["caseworker", "office_lead"]


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    name: str
    role: Duty
    office: Office


class Staff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    staff: list[Member]

    def offered(self, duty: Duty | None, first: Office | None) -> list[tuple[Office, list[Member]]]:
        """Who may be chosen for a duty (a lead decides; anyone may be a caseworker), by office,
        the reader's own office first, each office's people by name."""
        people = [m for m in self.staff if duty is None or m.role == duty]
        offices = sorted({m.office for m in people}, key=lambda o: (o != first, str(o)))
        return [(o, sorted((m for m in people if m.office == o), key=lambda m: m.name))
                for o in offices]

    def name_of(self, user_id: str | None) -> str | None:
        return next((m.name for m in self.staff if m.id == user_id), None)


def load(path: Path) -> Staff:
    """The directory as the file is now (parsed again only when it changed); none without one."""
    if not path.exists():
        return Staff(staff=[])
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _parsed(path: Path, _mtime_ns: int, _size: int) -> Staff:
    return Staff.model_validate(yaml.safe_load(path.read_text()))
