"""Lost or wrong master keys stop every process at its start, with a message that names the
key; a new development key never passes for a lost one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.main import create_app
from infra.codec import KeyUnavailable
from infra.database import engine_for, migrate
from infra.settings import Settings
from store.keys import CACHE_SECONDS, CaseKeys, case_keys
from tests.support.factories import master
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
    impostor = master(keys.masters.newest_id)
    wrong = settings.model_copy(update={"payload_keys": impostor})
    with pytest.raises(KeyUnavailable, match=keys.masters.newest_id):
        case_keys(wrong).check()
    app = create_app(wrong)
    with pytest.raises(KeyUnavailable):
        async with app.router.lifespan_context(app):
            pass


def test_master_keys_from_a_mounted_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "payload-keys"
    secret.write_text(master("k2026") + "\n")
    settings = embedded(tmp_path).model_copy(update={"payload_keys_file": secret})
    assert case_keys(settings).masters.newest_id == "k2026"
    production = Settings(environment="production", temporal_address="temporal:7233",
                          auth_jwks_url="https://idp.example/jwks", payload_keys_file=secret,
                          _env_file=None)
    source = production.payload_key_source()
    assert source is not None and source.load() == secret.read_text().strip()
    with pytest.raises(ValueError, match="cannot be read"):
        Settings(payload_keys_file=tmp_path / "missing", _env_file=None)
    with pytest.raises(ValueError, match="not both"):
        Settings(payload_keys=master("k1"), payload_keys_file=secret, _env_file=None)


def test_an_old_master_key_retires_after_a_resumable_rewrap(tmp_path: Path) -> None:
    old, new = master("k2025"), master("k2026")
    settings = embedded(tmp_path).model_copy(update={"payload_keys": old})
    cases = [f"case-{'c' * 19}{n}" for n in range(5)]
    sealed = {c: case_keys(settings).seal(c, "document", c.encode()) for c in cases}
    both = settings.model_copy(update={"payload_keys": f"{new},{old}"})
    keys = case_keys(both)
    assert (keys.to_rewrap(), keys.rewrap(batch=2)) == (5, 2)  # stopped after a round

    env = {**os.environ, "CASEWORK_DATA_DIR": str(tmp_path), "CASEWORK_PAYLOAD_KEYS":
           f"{new},{old}", "CASEWORK_AUTH_SIGNING_KEY": str(SIGNING_KEY)}
    done = subprocess.run([sys.executable, "-m", "cli", "rewrap-keys", "--batch", "2"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 data keys rewrapped; 0 left" in done.stdout

    retired = case_keys(settings.model_copy(update={"payload_keys": new}))
    retired.check()  # nothing needs the old key any more
    assert all(retired.open(c, "document", sealed[c]) == c.encode() for c in cases)


def test_an_unwrapped_key_leaves_memory_once_it_expires(tmp_path: Path) -> None:
    settings = embedded(tmp_path / "data")
    now = [1000.0]
    keys = CaseKeys(engine_for(settings.database), case_keys(settings).masters,
                    clock=lambda: now[0])
    first = keys.load("case-aaaaaaaaaaaaaaaaaaaa", create=True)
    assert keys.cached("case-aaaaaaaaaaaaaaaaaaaa") is first
    now[0] += CACHE_SECONDS
    assert keys.cached("case-aaaaaaaaaaaaaaaaaaaa") is None  # expired: no longer used
    for i in range(3):  # the next loads drop it from memory, and keep only the live ones
        keys.load(f"case-bbbbbbbbbbbbbbbbbbb{i}", create=True)
    assert list(keys._cache) == [f"case-bbbbbbbbbbbbbbbbbbb{i}" for i in range(3)]  # noqa: SLF001
    now[0] += CACHE_SECONDS / 2
    keys.load("case-aaaaaaaaaaaaaaaaaaaa", create=False)  # again, once unwrapped anew
    assert len(keys._cache) == 4  # noqa: SLF001
