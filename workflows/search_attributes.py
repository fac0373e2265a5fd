"""Custom search attributes of case workflows: what operations filter on. No personal data."""

from temporalio.common import SearchAttributeKey

CASE_PHASE = SearchAttributeKey.for_keyword("CasePhase")
CASE_OFFICE = SearchAttributeKey.for_keyword("CaseOffice")
CASE_CASEWORKER = SearchAttributeKey.for_keyword("CaseCaseworker")
CASE_REFERRED_AT = SearchAttributeKey.for_datetime("CaseReferredAt")

ALL = (CASE_PHASE, CASE_OFFICE, CASE_CASEWORKER, CASE_REFERRED_AT)
