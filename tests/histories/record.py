"""Record a case's history for the replay test: `python -m tests.histories.record NAME`.

Run it when the workflow changes shape (a new step, a patched branch): the file kept for each
version of the code is what proves that cases begun under it still replay.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from infra.binaries import temporal_test_server
from infra.database import migrate
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER, register_search_attributes
from tests.support import factories as f
from tests.support.receivers import Mailbox
from worker.main import build_worker
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model import search_attributes
from workflows.model.documents import NewDocument
from workflows.model.requests import (
    Actor,
    AssessmentStart,
    DeadlineExtension,
    InformationRequest,
    Length,
    PlanApproval,
    Provider,
    Referrer,
    ReflectionPeriodGrant,
    TakeOver,
)
from workflows.model.state import CaseInput
from workflows.model.vocabulary import (
    AgencyType,
    ConsentScope,
    ContactStatus,
    CriminalStage,
    DocumentType,
    MeasureAction,
    Office,
    Purpose,
    Role,
    ThreatLevel,
)

HERE = Path(__file__).parent
LEAD = Actor(user_id="lead-heli", role=Role.OFFICE_LEAD, office=Office.HELSINKI)
POLICE = Actor(user_id="officer-1", role=Role.POLICE, agency="police-nbi-trafficking")
POLICE_REFERRER = Referrer(agency_type=AgencyType.POLICE, organisation="NBI",
                           agency_id="police-nbi-trafficking")


async def record(name: str) -> Path:
    mailbox = Mailbox().start()
    database = Path(tempfile.mkdtemp()) / "casework.db"
    migrate(f"sqlite:///{database}")
    settings = Settings(temporal_task_queue=f"record-{uuid.uuid4()}", smtp_port=mailbox.port,
                        database_url=f"sqlite:///{database}", payload_keys=f.PAYLOAD_KEYS,
                        _env_file=None)
    async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(temporal_test_server()),
            data_converter=DATA_CONVERTER) as env:
        await register_search_attributes(env.client, "default", search_attributes.ALL)
        async with build_worker(env.client, settings):
            handle = await env.client.start_workflow(
                CaseWorkflow.run,
                # An agency's referral, waiting in intake until a caseworker takes it over.
                CaseInput(opening=f.opening(f"case-{name}", f.referral(
                    minor=True, guardian_consent=True, referrer=POLICE_REFERRER), POLICE)),
                id=f"case-{name}", task_queue=settings.temporal_task_queue)
            steps: list[tuple[Any, Any]] = [
                     (CaseWorkflow.take_over, TakeOver(reason="Mine.")),
                     (CaseWorkflow.ask_referrer, InformationRequest(
                         reason="Unclear.", question="How can we reach her safely?")),
                     (CaseWorkflow.add_document, NewDocument(
                         reason="Brought by the police.", caption="Employment contract",
                         media_type=DocumentType.PDF, size=48213, sha256="0" * 64,
                         blob="b-recorded", shared_for=Purpose.MEASURES)),
                     (CaseWorkflow.decide_admission, f.admission()),
                     (CaseWorkflow.record_contact, f.contact(ContactStatus.PLANNED)),
                     (CaseWorkflow.join_network, f.network_member("victim-support-finland")),
                     (CaseWorkflow.begin_assessment,
                      AssessmentStart(reason="Meeting held.", started_on=f.today())),
                     (CaseWorkflow.grant_reflection_period, ReflectionPeriodGrant(
                         reason="Granted by the police.", granted_on=f.today(),
                         length=Length(months=2), granted_by=AgencyType.POLICE)),
                     (CaseWorkflow.extend_deadline, DeadlineExtension(
                         reason="Client needs more time.", deadline_id="D5",
                         extension=Length(days=30))),
                     (timedelta(days=20), None),  # reminders and escalations fire
                     (CaseWorkflow.record_contact, f.contact(appointment_id="K1")),
                     (CaseWorkflow.assess_needs, f.assessment()),
                     (CaseWorkflow.record_consent, f.consent(ConsentScope.SHARE_WITH_AGENCIES)),
                     (CaseWorkflow.add_measure, f.measure().model_copy(update={
                         "provider": Provider(agency_type=AgencyType.NGO,
                                              organisation="Victim Support Finland",
                                              agency_id="victim-support-finland")})),
                     (CaseWorkflow.change_measure, f.measure_update("M1", MeasureAction.START)),
                     (CaseWorkflow.revise_plan, f.plan("M1")),
                     # A deployment that requires approval: proposed, then approved by the lead.
                     (CaseWorkflow.revise_plan, f.plan("M1"), {"approval_required": True}),
                     (CaseWorkflow.approve_plan, PlanApproval(reason="Agreed.", plan=2),
                      {"actor": LEAD}),
                     (CaseWorkflow.end_measure, f.measure_end("M1")),
                     (CaseWorkflow.record_contact, f.contact(threat=ThreatLevel.ACUTE)),
                     (CaseWorkflow.notify_by_hand, f.manual_notification("police-nbi-trafficking")),
                     (CaseWorkflow.assess_needs, f.assessment()),
                     (CaseWorkflow.record_consent, f.consent()),
                     (CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.REPORTED)),
                     (CaseWorkflow.reassign, f.reassignment().model_copy(
                         update={"handover_note": "Prefers calls in the afternoon."})),
                     (CaseWorkflow.record_contact, f.contact()),
                     (CaseWorkflow.transfer_office, f.transfer()),
                     (CaseWorkflow.transition_to_municipality, f.transition()),
                     (CaseWorkflow.exit_case, f.exit_decision())]
            version, actor = 1, f.CASEWORKER
            for update, body, *changes in steps:
                if isinstance(update, timedelta):
                    await env.sleep(update)
                    continue
                meta = f.sealed(handle.id, update.__name__, f.meta(version, actor=actor)
                                .model_copy(update=changes[0] if changes else {}), body)
                version = (await handle.execute_update(update, args=[meta, body])).version
                if update is CaseWorkflow.transfer_office:
                    actor = f.TAMPERE_CASEWORKER  # the case is Tampere's from here on
            await handle.result()
            history = await handle.fetch_history()
    mailbox.stop()
    path = HERE / f"{name}.json"
    path.write_text(history.to_json())
    return path


if __name__ == "__main__":
    print(asyncio.run(record(sys.argv[1])))
