"""Student registry models, one module per concern (each issue/helper owns its module)."""
from .core import CareAssignment, FamilyMember, ScopedQuerySet, Student, StudentQuerySet
from .registry import (
    Enrolment, OfficeSchoolLiaison, StatusChange, StatusChangeDocument, TransferConfirmation, VulnerabilityFlag,
)
from .discovery import (
    Absence, AbsenceAlert, AbsenceEpisode, AbsenceLevel, NonReturnEntry, RollCall, TermArrival,
)

__all__ = ["CareAssignment", "Enrolment", "FamilyMember", "OfficeSchoolLiaison", "ScopedQuerySet", "StatusChange",
           "StatusChangeDocument", "Student", "StudentQuerySet", "TransferConfirmation", "VulnerabilityFlag"]
__all__ += ["Absence", "AbsenceAlert", "AbsenceEpisode", "AbsenceLevel", "NonReturnEntry", "RollCall", "TermArrival"]
from .imports import ImportBatch, PopulationEntry, PopulationList  # noqa: E402

__all__ += ["ImportBatch", "PopulationEntry", "PopulationList"]
