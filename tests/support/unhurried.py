"""The tests drive each app from one address (and as one person) far faster than anyone would,
at the hosts `http://api` and `http://console`: settings with limits they never reach and those
hosts trusted. tests/api/test_floods.py measures the defaults."""

from __future__ import annotations

from typing import Any

UNHURRIED: dict[str, Any] = {
    "trusted_hosts": ["api", "console", "127.0.0.1", "localhost"],
    **{f"rate_limit_{name}": "1000000/second" for name in (
        "per_client", "per_person", "sign_in", "codec", "audit_verify")},
    "rate_limit_delay_seconds": 0}
# The same for `casework run` (tests.support.stack), as its environment.
UNHURRIED_ENV = {f"CASEWORK_{name.upper()}": str(value) for name, value in UNHURRIED.items()
                 if name != "trusted_hosts"}
