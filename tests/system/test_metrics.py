"""Metrics of the real `casework run`, as Prometheus scrapes them: the API's and the worker's own
endpoints, with the application's metrics (steps by step and outcome, audit appends, what stands
open in the read model, projection lag) and the Temporal SDK's (task latencies, slots, pollers,
the sticky cache), and no case or person in any of them."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.observability import metric_names
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def scrape(stack: Stack, process: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    port = stack.env[f"CASEWORK_{process.upper()}_METRICS_PORT"]
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert "case-" not in text and f.PERSON.surname not in text, "a case or person in a label"
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str,
          **labels: str) -> float:
    return sum(v for found, v in samples.get(name, [])
               if all(found.get(k) == want for k, want in labels.items()))


Samples = dict[str, list[tuple[dict[str, str], float]]]


@pytest.fixture(scope="module")
def scraped(running_stack: Stack) -> tuple[Samples, Samples]:
    """The API's and the worker's metrics after a referral, a refused and a taken step, and a
    notification that fails."""
    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as http:
        case = http.post("/v1/cases", json=body(f.referral())).json()
        stale = http.post(f"/v1/cases/{case['case_id']}/admission", json=body(f.admission()),
                          headers={"If-Match": '"99"'})
        assert stale.status_code == 409
        taken = http.post(f"/v1/cases/{case['case_id']}/admission", json=body(f.admission()),
                          headers={"If-Match": f'"{case["version"]}"'})
        assert taken.status_code == 200
        failing = http.post(f"/v1/cases/{case['case_id']}/notifications",  # fails at once
                            json=body(f.manual_notification("agency-not-in-the-directory")),
                            headers={"If-Match": f'"{taken.json()["version"]}"'})
        assert failing.status_code == 200
    deadline = time.monotonic() + 30  # the SDK's metrics are drained every 5 s
    while True:
        api, worker = scrape(running_stack, "api"), scrape(running_stack, "worker")
        if (value(worker, "temporal_workflow_task_schedule_to_start_latency_seconds_count")
                and value(api, "temporal_request_total")
                and value(api, "casework_waiting_notifications", status="failed")
                ) or time.monotonic() > deadline:
            return api, worker
        time.sleep(1)


def test_the_api_and_the_worker_serve_their_metrics(scraped: tuple[Samples, Samples]) -> None:
    api, worker = scraped
    assert value(api, "casework_steps_total", step="open_case", outcome="taken") >= 1
    assert value(api, "casework_steps_total", step="decide_admission", outcome="taken") >= 1
    assert value(api, "casework_steps_total", step="decide_admission",
                 outcome="StaleVersion") >= 1
    assert value(api, "casework_audit_append_seconds_count") >= 4  # intents and outcomes
    assert value(api, "casework_open_cases", office="helsinki", phase="admitted") >= 1
    assert value(api, "casework_unsettled_deadlines", office="helsinki", status="open") >= 1
    assert value(api, "casework_waiting_notifications", agency="agency-not-in-the-directory",
                 status="failed") >= 1
    assert value(api, "temporal_request_total") >= 1  # the API's Temporal client

    for name in ("temporal_workflow_task_schedule_to_start_latency_seconds_count",
                 "temporal_activity_schedule_to_start_latency_seconds_count",
                 "casework_projection_lag_seconds_count"):
        assert value(worker, name) >= 1, name
    for name in ("temporal_worker_task_slots_available", "temporal_num_pollers",
                 "temporal_sticky_cache_size"):
        assert name in worker, name
    labels = {key for samples in (*api.values(), *worker.values()) for found, _ in samples
              for key in found}
    assert not labels & {"case_id", "workflow_id", "run_id", "person", "name"}, labels
    assert all(re.fullmatch(r"[a-z_]+", key) for key in labels)


def test_the_alerts_and_the_dashboard_watch_metrics_that_exist(
        scraped: tuple[Samples, Samples]) -> None:
    """Every metric the alert rules and the Grafana dashboard query is one the processes serve
    (a renamed metric would leave an alert silent for ever)."""
    served = {*scraped[0], *scraped[1]}
    families = served | {re.sub(r"_(bucket|count|sum)$", "", name) for name in served}
    queried = metric_names()
    assert len(queried) >= 10 and queried <= families, queried - families
