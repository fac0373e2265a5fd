"""Key files of the embedded defaults: made once, readable by the owner only, never replaced."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def private_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's content, made first if it is missing. The API and the worker start together:
    the file is written aside and linked into place, so neither reads half a key or overwrites
    the other's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(make())
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its key stands
        finally:
            aside.unlink()
    return path.read_bytes()
