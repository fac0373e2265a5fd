"""Where the master keys of payload encryption come from: configuration's variable, or a file
the platform mounts from its secret store (a Kubernetes Secret volume, a Docker secret, a Vault
agent's rendered file). Each source gives the keys as `kid:base64url(32 bytes)`, newest first;
another store (a cloud KMS's secret, say) is one more `KeySource`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class KeySource(Protocol):
    def load(self) -> str:
        """The master keys, newest first."""
        ...


@dataclass(frozen=True)
class FromVariable:
    text: str

    def load(self) -> str:
        return self.text


@dataclass(frozen=True)
class FromFile:
    """Read at each load: a rotated secret is picked up by the next process to start."""

    path: Path

    def load(self) -> str:
        return self.path.read_text().strip()
