"""The changes of `CaseWorkflow` that alter its commands, each behind a `workflow.patched` marker
so that a run recorded before it replays as it ran (`tests/histories/` holds one recorded
before each marker and one with all of them).

Each is decided once, in a run's first activation, before any handler runs. A run that began
under older code keeps its older behaviour to its end; its next run (after continue-as-new) has
every change. Retiring a marker, when no run older than it can exist any more (cases that
continued as new since, or closed and passed retention):

1. `workflow.deprecate_patch(NAME)` in place of `workflow.patched(NAME)`, the old branch
   removed; the histories recorded before the marker leave `tests/histories/` (the code no
   longer replays them), and one recorded under the deprecation joins it;
2. a release later, the call removed altogether.

The markers chain: each assumes the ones before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

# Deadline timers, their search attributes, and a closed case staying open for its appeal
# period.
DEADLINE_TIMERS = "deadline-timers-v1"
# Notifications to agencies (and deadline alerts to the offices) as activities.
NOTIFICATIONS = "notifications-v1"
# Every change of the state projected into the read model by an activity.
READ_MODEL = "read-model-v1"
# The state stays bounded (settled records leave it once archived; a run also continues as new
# by its history's size), activities on a dead worker are retried within seconds, and an
# acknowledgement that arrives while its delivery is on its way is kept.
HARDENING = "hardening-v1"
# The work between the steps: an acute threat alerts the office's lead at once, a change of
# worker opens the first-contact deadline, and a delivery checks the consent of the agency the
# directory named (consent is per agency and purpose).
CLIENT_WORK = "client-work-v1"
# Consent holds until the last byte: a delivery on its way is cancelled (and withheld) the
# moment consent no longer covers it.
CONSENT_HOLDS = "consent-holds-v1"
# Steady over years: a run whose history is full stops its deliveries (the next run resumes them
# with their keys) and keeps projecting while it waits to continue as new; a closed case opens no
# acknowledgement deadline; heartbeats have slack; each case wakes for its deadlines at an
# instant of its own within a spread, not all cases at 09:00.
STEADY = "steady-v1"


@dataclass(frozen=True)
class Patches:
    timers: bool
    notify: bool
    project: bool
    bounded: bool
    work: bool
    consent: bool
    steady: bool

    @classmethod
    def decide(cls) -> Patches:
        """In a run's first activation: which changes this run has."""
        timers = workflow.patched(DEADLINE_TIMERS)
        notify = timers and workflow.patched(NOTIFICATIONS)
        project = notify and workflow.patched(READ_MODEL)
        bounded = project and workflow.patched(HARDENING)
        work = bounded and workflow.patched(CLIENT_WORK)
        consent = work and workflow.patched(CONSENT_HOLDS)
        return cls(timers, notify, project, bounded, work, consent,
                   consent and workflow.patched(STEADY))
