"""Key files of the embedded defaults: one key, however many processes start at once."""

from __future__ import annotations

import secrets
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infra.keyfiles import private_file


def test_racing_makers_agree_on_one_private_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "payload-keys"
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = set(pool.map(lambda _: private_file(path, lambda: secrets.token_bytes(32)),
                            range(32)))
    assert len(seen) == 1 and seen == {path.read_bytes()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["payload-keys"]  # nothing left aside
