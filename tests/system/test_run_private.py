"""The quick start's `casework run` (`./dev run`): the embedded defaults on loopback, where the
development sign-in works; everything the system writes into the data folder (the dev server's
database and log, the read model, the audit log, the keys, the outbox's mail) is the owner's
only, a folder left readable by others before included; every answer carries the security
headers."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.infra.test_private_data import loose, mode
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack
from tests.support.waiting import eventually_blocking

pytestmark = pytest.mark.e2e


def test_the_quick_start_signs_in_and_keeps_its_data_private(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    (tmp_path / "outbox").mkdir(mode=0o755)
    (tmp_path / "outbox" / "0.eml").write_text("an older release's mail")
    (tmp_path / "outbox" / "0.eml").chmod(0o644)
    stack = Stack(tmp_path)
    stack.start()
    try:
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            signed_in = http.post("/sign-in", data={"user_id": "cw-anna", "role": "caseworker",
                                                    "office": "helsinki"})
            assert signed_in.status_code == 303, signed_in.text
            assert "casework_session=" in signed_in.headers["set-cookie"]
            work = http.get("/work")
            assert work.status_code == 200 and "cw-anna" in work.text
            for r in (work, http.get("/v1/cases", headers=CASEWORKER), http.get("/v1/cases")):
                assert r.headers["X-Content-Type-Options"] == "nosniff"
                assert r.headers["Cache-Control"] == "no-store"
                assert "camera=()" in r.headers["Permissions-Policy"]
                assert "Strict-Transport-Security" not in r.headers  # plain HTTP
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "CASE-2"
        mail.set_content("Sign in to see what is asked.")
        with smtplib.SMTP("127.0.0.1", int(stack.env["CASEWORK_SMTP_PORT"]), timeout=10) as smtp:
            smtp.send_message(mail)
        eventually_blocking(lambda: len(list((tmp_path / "outbox").iterdir())) >= 2)
        written = {p.name for p in tmp_path.iterdir()}
        assert {"temporal.db", "temporal.log", "casework.db", "audit.db", "keys",
                "outbox"} <= written
        assert len(list((tmp_path / "outbox").iterdir())) == 2
        assert loose(tmp_path) == []
        assert mode(tmp_path) == 0o700 and mode(tmp_path / "casework.db") == 0o600
    finally:
        assert stack.stop() == 0
