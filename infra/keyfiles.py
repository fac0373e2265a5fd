"""Key files of the embedded defaults: made once, readable by the owner only, never replaced.
And the data folder they live in, with everything else the system writes there (the SQLite
databases, the Temporal dev server's, the outbox's mail): the owner's only, 0700 and 0600."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

# What the processes create: folders 0700, files 0600 (`casework` sets it for every command,
# so the dev server and the outbox it starts inherit it).
UMASK = 0o077


def private_folder(path: Path, *, create: bool = False) -> None:
    """The folder (made 0700 if `create` and missing) and everything in it, readable by its
    owner only: group and other bits are taken off whatever has them (a folder becomes 0700, a
    file 0600). A file that cannot be made private is refused (PermissionError naming it)."""
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.is_dir():
        return
    make_private(path.resolve())  # the folder itself, where a link to it points
    for folder, folders, names in os.walk(path):
        for name in (*folders, *names):
            make_private(Path(folder) / name)


def make_private(path: Path) -> None:
    """Group and other bits off the file or folder (not a link), if it has any."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return  # gone meanwhile (a SQLite journal, a key file written aside)
    if stat.S_ISLNK(mode) or not mode & 0o077:
        return  # a link: what it points to is not ours to change; or private already
    try:
        os.chmod(path, stat.S_IMODE(mode) & ~0o077)
    except FileNotFoundError:
        return
    except OSError as err:
        raise PermissionError(f"{path} is readable by others and cannot be made private "
                              f"({err.strerror}): make it the owner's only (chmod go-rwx)"
                              ) from None


def private_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's content, made first if it is missing. The API and the worker start together:
    the file is written aside and linked into place, so neither reads half a key or overwrites
    the other's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
    make_private(path)  # one made before the files were private
    return path.read_bytes()
