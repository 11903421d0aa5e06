"""Privacy classification of the case models (kongchuo.privacy)."""
from kongchuo import privacy

privacy.personal(
    "cases.Case", "cases.CaseReason", "cases.CaseEvent", "cases.FollowUp", "cases.CaseClosure", "cases.Exemption",
    "cases.ExemptionStep", "cases.TeachingPlan", "cases.TeachingSession", "cases.SessionPhoto",
    "cases.AssistanceRecord", "cases.HomeVisit", "cases.VisitPhoto",
    # messages to staff name the child and the case
    "cases.Notification",
)
# tier deadlines: configuration
privacy.no_child_data("cases.TierPolicy")
