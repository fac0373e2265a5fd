"""Custom search attributes of case workflows: what operations filter on. No personal data."""

from temporalio.common import SearchAttributeKey

CASE_PHASE = SearchAttributeKey.for_keyword("CasePhase")
CASE_OFFICE = SearchAttributeKey.for_keyword("CaseOffice")
CASE_CASEWORKER = SearchAttributeKey.for_keyword("CaseCaseworker")
CASE_REFERRED_AT = SearchAttributeKey.for_datetime("CaseReferredAt")
# The case's earliest pending deadline and how many are overdue: the operations view of what is
# due, across cases, without opening any of them.
CASE_NEXT_DEADLINE_AT = SearchAttributeKey.for_datetime("CaseNextDeadlineAt")
CASE_NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("CaseNextDeadlineKind")
CASE_OVERDUE = SearchAttributeKey.for_int("CaseOverdueDeadlines")

# Notifications on their way (retrying) and failed: operations' view of deliveries.
CASE_PENDING_NOTIFICATIONS = SearchAttributeKey.for_int("CasePendingNotifications")
CASE_FAILED_NOTIFICATIONS = SearchAttributeKey.for_int("CaseFailedNotifications")

ALL = (CASE_PHASE, CASE_OFFICE, CASE_CASEWORKER, CASE_REFERRED_AT, CASE_NEXT_DEADLINE_AT,
       CASE_NEXT_DEADLINE_KIND, CASE_OVERDUE, CASE_PENDING_NOTIFICATIONS,
       CASE_FAILED_NOTIFICATIONS)
