"""The people of the tests, as the API sees them: bearer tokens signed by a test key."""

from __future__ import annotations

import tempfile
from pathlib import Path

from infra.settings import Settings
from infra.tokens import mint

# One signing key for the whole test process; every test's settings point at it.
SIGNING_KEY = Path(tempfile.mkdtemp(prefix="casework-test-keys-")) / "token-signing.pem"
KEYED = Settings(auth_signing_key=SIGNING_KEY, _env_file=None)


def bearer(user_id: str, role: str, agency: str | None = None, *, office: str | None = None,
           **settings: object) -> dict[str, str]:
    token = mint(KEYED.model_copy(update=settings), user_id, role, agency, office=office)
    return {"Authorization": f"Bearer {token}"}


# A caseworker of the Helsinki office: the tests' referrals go there.
CASEWORKER = bearer("cw-anna", "caseworker", office="helsinki")
# The caseworker who takes a transferred case over in Tampere.
TAMPERE_CASEWORKER = bearer("cw-tiina", "caseworker", office="tampere")
OPERATOR = bearer("ops-1", "operator")
AUDITOR = bearer("aud-1", "auditor")
