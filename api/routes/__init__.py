"""The API's routes, one router per resource. Every route of `ROUTERS` is audited and checked
against the role table (`api.access.ALLOWED`); `health` is neither."""

from api.routes import (
    agencies,
    attachments,
    auditors,
    cases,
    codec,
    consultations,
    intake,
    operations,
    steps,
    work,
)

ROUTERS = (cases.router, steps.router, attachments.router, work.router, operations.router,
           agencies.router, auditors.router, codec.router, consultations.router, intake.router)
