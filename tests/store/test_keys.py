"""Lost or wrong master keys stop every process at its start, with a message that names the
key; a new development key never passes for a lost one."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from api.main import create_app
from infra.codec import KeyUnavailable
from infra.database import migrate
from infra.settings import Settings
from store.keys import case_keys
from tests.support.identities import SIGNING_KEY


def embedded(folder: Path) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    migrate(f"sqlite:///{folder / 'casework.db'}")
    return Settings(data_dir=folder, auth_signing_key=SIGNING_KEY, _env_file=None)


def test_a_development_key_gets_an_id_of_its_own(tmp_path: Path) -> None:
    kid = case_keys(embedded(tmp_path)).masters.newest_id
    assert kid.startswith("dev-") and kid != case_keys(embedded(tmp_path / "b")).masters.newest_id


def test_the_key_file_gone_with_cases_stored_stops_everything(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    keys = case_keys(settings)
    for n in range(3):
        keys.seal(f"case-{'a' * 19}{n}", "document", b"{}")
    kid = keys.masters.newest_id
    (tmp_path / "keys" / "payload-keys").unlink()
    with pytest.raises(KeyUnavailable, match=f"3 case data key.*'{kid}'"):
        case_keys(settings)
    assert not (tmp_path / "keys" / "payload-keys").exists()  # none made in its place

    env = {**os.environ, "CASEWORK_DATA_DIR": str(tmp_path),
           "CASEWORK_AUTH_SIGNING_KEY": str(SIGNING_KEY), "CASEWORK_DEV_SERVER_PORT": "1"}
    for command in ("setup", "worker"):
        done = subprocess.run([sys.executable, "-m", "cli", command], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert kid in done.stdout + done.stderr


async def test_a_different_key_under_the_same_id_is_refused(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    keys = case_keys(settings)
    keys.seal("case-" + "b" * 20, "document", b"{}")
    keys.check()  # the right key: fine
    impostor = f"{keys.masters.newest_id}:" + base64.urlsafe_b64encode(
        secrets.token_bytes(32)).decode()
    wrong = settings.model_copy(update={"payload_keys": impostor})
    with pytest.raises(KeyUnavailable, match=keys.masters.newest_id):
        case_keys(wrong).check()
    app = create_app(wrong)
    with pytest.raises(KeyUnavailable):
        async with app.router.lifespan_context(app):
            pass
