"""Case services — every write of the cases app (keyword-only, atomic, event row in the same transaction).

Public interface used by other apps (notices):
  case_open(*, student, trigger, actor, reasons=(), note="") -> Case
  case_transition(*, case, to_status, actor, reason="", expected=None, **details) -> CaseEvent  # actor None = system
  case_escalate(*, case, actor, reason, system=False, expected=None) -> CaseEvent
  case_record_return(*, case, actor, return_date, placement) -> CaseEvent
  notification_send(*, recipient, title, body="", case=None, url="", key="") -> Notification | None
Refusals raise CaseError (a ValidationError with a Chinese message) or PermissionDenied; a move whose `expected`
state (what the page showed, e.g. {"stage": "teacher"}) no longer holds raises kongchuo.lifecycle.StaleState.
"""
from .common import CaseError, notification_send
from .lifecycle import (
    case_add_note, case_escalate, case_open, case_record_return, case_return_down, case_soft_delete,
    case_transition, case_update, forbidden_message,
)
from .notifications import notification_mark_all_read, notification_mark_read
from .retention import (
    case_closure_request, case_closure_review, case_start_retention, closure_problems, followup_complete,
    retention_minimum_end,
)
from .support import assistance_record, exemption_apply, exemption_decide, plan_create, session_log
from .visits import visit_log, visit_soft_delete

__all__ = [
    "CaseError", "assistance_record", "case_add_note", "case_closure_request", "case_closure_review",
    "case_escalate", "case_open", "case_record_return", "case_return_down", "case_soft_delete",
    "case_start_retention", "case_transition", "case_update", "closure_problems", "exemption_apply",
    "exemption_decide", "followup_complete", "forbidden_message", "notification_mark_all_read",
    "notification_mark_read", "notification_send", "plan_create", "retention_minimum_end", "session_log",
    "visit_log", "visit_soft_delete",
]
