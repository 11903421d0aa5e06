"""Admin: configuration (tier deadlines) editable; case data read-only here (it changes only through services)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kongchuo.admin import ReadOnlyHistoryAdmin as ReadOnlyAdmin  # case data changes only through services

from cases.models import (
    AssistanceRecord, Case, CaseClosure, CaseEvent, Exemption, HomeVisit, Notification, TeachingPlan, TierPolicy,
)


@admin.register(TierPolicy)
class TierPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("stage", "deadline_workdays", "auto_escalate")
    list_editable = ("deadline_workdays", "auto_escalate")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("student", "status", "stage", "owner", "stage_due_at", "opened_at", "is_deleted")
    list_filter = ("status", "stage", "trigger", "is_deleted")
    search_fields = ("student__name", "student__student_number")
    raw_id_fields = ("student",)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "case", "kind", "actor", "from_status", "to_status", "from_stage", "to_stage")
    list_filter = ("kind",)
    search_fields = ("case__student__name", "reason")


for model, fields in (
    (HomeVisit, ("visit_date", "student", "case", "mode", "guardian_attitude", "created_by")),
    (Exemption, ("student", "kind", "status", "start_date", "end_date")),
    (TeachingPlan, ("student", "school", "start_date", "end_date")),
    (AssistanceRecord, ("date", "student", "kind", "amount", "source")),
    (CaseClosure, ("case", "status", "requested_at", "reviewer")),
    (Notification, ("created_at", "recipient", "title", "read_at")),
):
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": fields}))
