"""The console's pages on the embedded defaults: how long a realistic case page, my work and the
case list take to render, over HTTP from a signed-in caseworker's session.

Starts its own `casework run`, opens a case and takes it through a realistic first month with
the API (admission, consents, assessment, five measures and their starts, the criminal process,
a reflection period: 17 steps), fills the office with more cases, then times each page.

    .venv/bin/python -m bench.console --runs 100 --cases 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack
from workflows.model.vocabulary import ConsentScope, CriminalStage, MeasureType


def realistic_case(http: httpx.Client) -> str:
    case = http.post("/v1/cases", json=body(f.referral())).json()

    def step(path: str, payload: Any) -> None:
        nonlocal case
        r = http.post(f"/v1/cases/{case['case_id']}/{path}", json=payload if isinstance(
            payload, dict) else body(payload), headers={"If-Match": f'"{case["version"]}"'})
        r.raise_for_status()
        case = r.json()

    step("admission", f.admission())
    step("consents", f.consent(ConsentScope.SHARE_WITH_AGENCIES))
    step("consents", f.consent(ConsentScope.CONTACT_POLICE))
    step("assessment", f.assessment())
    for kind in (MeasureType.HOUSING, MeasureType.HEALTH_CARE, MeasureType.LEGAL_AID,
                 MeasureType.SUPPORT_PERSON, MeasureType.INTERPRETING):
        step("measures", f.measure(kind))
    for measure_id in ("M1", "M2", "M3", "M4"):
        step(f"measures/{measure_id}/start", {"reason": "Begun."})
    step("criminal-process", f.criminal(CriminalStage.REPORTED))
    step("criminal-process", f.criminal(CriminalStage.PRE_TRIAL_INVESTIGATION))
    step("reflection-period", {"reason": "Granted.", "granted_on": f.today().isoformat(),
                               "length": {"days": 30}, "granted_by": "police"})
    return case["case_id"]


def timed(http: httpx.Client, path: str, runs: int) -> tuple[float, float]:
    http.get(path).raise_for_status()  # warm
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        http.get(path).raise_for_status()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1]


def main(runs: int, cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(Path(folder))
        stack.start()
        try:
            with httpx.Client(base_url=stack.url, headers=CASEWORKER, timeout=30) as api:
                case_id = realistic_case(api)
                for _ in range(cases):
                    api.post("/v1/cases", json=body(f.referral())).raise_for_status()
            with httpx.Client(base_url=stack.url, timeout=30) as console:
                console.post("/sign-in", data={"user_id": "cw-anna", "role": "caseworker",
                                               "office": "helsinki"})
                time.sleep(2)  # the read model catches up with the last projections
                print(f"console pages, {runs} runs each (ms):")
                for name, path in (("a case (17 steps, 5 measures)", f"/cases/{case_id}"),
                                   ("my work", "/work"), ("cases", "/cases")):
                    p50, p95 = timed(console, path, runs)
                    print(f"  {name:<32} p50 {p50:6.1f}   p95 {p95:6.1f}")
        finally:
            stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--cases", type=int, default=50)
    args = parser.parse_args()
    main(args.runs, args.cases)
