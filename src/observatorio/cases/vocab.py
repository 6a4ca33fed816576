"""Closed vocabularies of the cases side, with Spanish and English labels."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    CONSULATE = "consulate"
    FOREIGN_MINISTRY = "foreign_ministry"
    MIGRATION_INSTITUTE = "migration_institute"
    RECEPTION_CENTRE = "reception_centre"
    CHILD_PROTECTION = "child_protection_agency"
    CIVIL_SOCIETY = "civil_society"
    INTERNATIONAL = "international_organisation"


class CaseType(StrEnum):
    DETENTION = "detention"
    HEALTH_EMERGENCY = "health_emergency"
    DEATH_REPATRIATION = "death_repatriation"
    MISSING_PERSON = "missing_person"
    UNACCOMPANIED_CHILD = "unaccompanied_child"
    FAMILY_SEPARATION = "family_separation"
    TRAFFICKING_VICTIM = "trafficking_victim"
    LABOUR_RIGHTS = "labour_rights"
    ASYLUM_ORIENTATION = "asylum_orientation"
    RETURNEE_REINTEGRATION = "returnee_reintegration"


class CaseStatus(StrEnum):
    OPEN = "open"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


# The lifecycle as data: each status and the statuses it may move to.
# A case may step back one stage (new facts) and "reopen" is closed → assessment.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ASSESSMENT, CaseStatus.CLOSED}),
    CaseStatus.ASSESSMENT: frozenset({CaseStatus.PLAN, CaseStatus.CLOSED}),
    CaseStatus.PLAN: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.ASSESSMENT, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.PLAN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.ASSESSMENT}),
}
