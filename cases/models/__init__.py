"""Cases app models, one module per concern."""
from .case import AppendOnly, Case, CaseEvent, CaseQuerySet, CaseReason, Notification, TierPolicy
from .retention import CaseClosure, FollowUp
from .support import (
    AssistanceRecord, Exemption, ExemptionStep, SessionPhoto, TeachingPlan, TeachingSession,
)
from .visits import HomeVisit, VisitPhoto

__all__ = [
    "AppendOnly", "AssistanceRecord", "Case", "CaseClosure", "CaseEvent", "CaseQuerySet", "CaseReason", "Exemption",
    "ExemptionStep", "FollowUp", "HomeVisit", "Notification", "SessionPhoto", "TeachingPlan", "TeachingSession",
    "TierPolicy", "VisitPhoto",
]
