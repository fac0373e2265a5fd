"""The PromQL that operations rely on: every query of the alert rules and of the Grafana
dashboard in `deploy/`, and the metric names they read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def queries() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    found = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "casework.json").read_text())
    return found + [target["expr"] for panel in dashboard["panels"]
                    for target in panel["targets"]]


def metric_names() -> set[str]:
    return {name for query in queries()
            for name in re.findall(r"\b((?:casework|temporal|process)_[a-z_]+)", query)}
