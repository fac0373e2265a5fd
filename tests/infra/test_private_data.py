"""The data folder is its owner's only: folders 0700, the files the system writes there 0600
(key files, SQLite databases and their journals, the outbox's mail), whatever the umask; and a
folder made readable by others before is tightened when a command starts."""

from __future__ import annotations

import os
import signal
import smtplib
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from infra.database import engine_for
from infra.keyfiles import private_folder
from tests.support.receivers import free_port

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def loose(path: Path) -> list[str]:
    """What in the folder (itself included) a group or other user may read, write or enter."""
    found = [path, *path.rglob("*")]
    return [f"{p.relative_to(path.parent)} {mode(p):o}" for p in found
            if not p.is_symlink() and mode(p) & 0o077]


@pytest.fixture
def careless_umask() -> Iterator[None]:
    """The umask of a careless shell: what the code creates must not depend on it."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def readable_by_all(data: Path) -> None:
    """A data folder as releases before this one left it."""
    for folder in (data, data / "keys", data / "outbox"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    for name in ("keys/payload-keys", "outbox/1.eml", "temporal.db", "temporal.log"):
        (data / name).write_text("x")
        (data / name).chmod(0o644)


def test_a_folder_readable_by_others_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    readable_by_all(data)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not ours")
    elsewhere.chmod(0o644)
    (data / "link").symlink_to(elsewhere)
    private_folder(data)
    assert loose(data) == []
    assert mode(data) == mode(data / "outbox") == 0o700
    assert mode(data / "keys" / "payload-keys") == mode(data / "temporal.db") == 0o600
    assert mode(elsewhere) == 0o644  # a link is not followed out of the folder
    private_folder(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()  # only `casework run` makes the folder
    private_folder(tmp_path / "made", create=True)
    assert mode(tmp_path / "made") == 0o700


@pytest.mark.usefixtures("careless_umask")
def test_sqlite_files_are_the_owners_only(tmp_path: Path) -> None:
    new = tmp_path / "casework.db"
    with engine_for(f"sqlite:///{new}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {
        "casework.db": 0o600, "casework.db-wal": 0o600, "casework.db-shm": 0o600}
    old = tmp_path / "old" / "audit.db"
    old.parent.mkdir()
    old.write_bytes(b"")
    old.chmod(0o644)
    engine_for(f"sqlite:///{old}")
    assert mode(old) == 0o600


def casework(data: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**clean, "CASEWORK_DATA_DIR": str(data), **env})


@pytest.mark.usefixtures("careless_umask")
def test_a_command_starts_on_a_private_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    readable_by_all(data)
    token = casework(data, "token", "cw-1", "--role", "caseworker", "--office", "helsinki")
    out, err = token.communicate(timeout=60)
    assert token.returncode == 0, err
    assert out.count(".") == 2  # a JWT
    assert loose(data) == []
    assert mode(data / "keys" / "token-signing.pem") == 0o600


@pytest.mark.usefixtures("careless_umask")
def test_the_outbox_keeps_mail_for_the_owner_only(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    outbox = casework(data, "outbox", CASEWORK_SMTP_PORT=str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert outbox.poll() is None and time.monotonic() < deadline, outbox.stderr
                time.sleep(0.1)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "CASE-1"
        mail.set_content("Sign in to see what is asked.")
        with smtp:
            smtp.send_message(mail)
    finally:
        outbox.send_signal(signal.SIGTERM)
        outbox.communicate(timeout=30)
    (kept,) = (data / "outbox").iterdir()
    assert "CASE-1" in kept.read_text()
    assert mode(kept) == 0o600 and mode(data / "outbox") == mode(data) == 0o700
