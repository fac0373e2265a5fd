"""The steps the benchmarks take a case through, as (API path under the case, workflow update,
body): `STEPS` the eight of the core lifecycle, `LIFECYCLE` about twenty, the steps a case of
the UK's referral mechanism takes on average (measures, plan, contacts, network, consent, the
criminal process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import factories as f
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.vocabulary import ConsentScope, CriminalStage, MeasureAction, MeasureType

Step = tuple[str, Callable[..., Any], Any]

STEPS: list[Step] = [
    ("admission", CaseWorkflow.decide_admission, f.admission()),
    ("assessment", CaseWorkflow.assess_needs, f.assessment()),
    ("measures", CaseWorkflow.add_measure, f.measure()),
    ("measures/M1/start", CaseWorkflow.change_measure,
     f.measure_update("M1", MeasureAction.START)),
    ("criminal-process", CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.REPORTED)),
    ("transition", CaseWorkflow.transition_to_municipality, f.transition()),
    ("exit", CaseWorkflow.exit_case, f.exit_decision()),
]

LIFECYCLE: list[Step] = [
    *STEPS[:3],
    ("measures", CaseWorkflow.add_measure, f.measure(MeasureType.HEALTH_CARE)),
    ("measures", CaseWorkflow.add_measure, f.measure(MeasureType.LEGAL_AID)),
    STEPS[3],
    ("measures/M2/start", CaseWorkflow.change_measure,
     f.measure_update("M2", MeasureAction.START)),
    ("plan", CaseWorkflow.revise_plan, f.plan("M1", "M2", "M3")),
    ("contacts", CaseWorkflow.record_contact, f.contact()),
    ("network", CaseWorkflow.join_network, f.network_member()),
    ("consents", CaseWorkflow.record_consent, f.consent(ConsentScope.SHARE_WITH_AGENCIES)),
    STEPS[4],
    ("contacts", CaseWorkflow.record_contact, f.contact()),
    ("criminal-process", CaseWorkflow.record_criminal_stage,
     f.criminal(CriminalStage.PRE_TRIAL_INVESTIGATION)),
    ("measures/M1/outcome", CaseWorkflow.end_measure, f.measure_end("M1")),
    ("contacts", CaseWorkflow.record_contact, f.contact()),
    ("measures/M2/outcome", CaseWorkflow.end_measure, f.measure_end("M2")),
    STEPS[5],
    STEPS[6],
]


def api_body(step: Any) -> dict[str, Any]:
    """A step's body as the API takes it: what the path names is not repeated in the body."""
    return step.model_dump(mode="json", exclude={"measure_id", "action"})
