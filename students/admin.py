"""Django admin for the registry. The admin is for 系统管理员 (configuration); student data in it stays inside the
user's scope like everywhere else (kongchuo.access), so a 系统管理员 without another role sees no children.
History rows (学籍异动, 转出确认, 证明材料) are read-only; students cannot be deleted."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kongchuo import access
from students.models import (
    CareAssignment, Enrolment, FamilyMember, OfficeSchoolLiaison, StatusChange, StatusChangeDocument, Student,
    TransferConfirmation, VulnerabilityFlag,
)


class ScopedAdmin(SimpleHistoryAdmin):
    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FamilyMemberInline(admin.TabularInline):
    model = FamilyMember
    extra = 0
    fields = ("name", "relation", "is_guardian", "phone", "id_type", "id_number", "works_away", "works_away_place",
              "is_disabled")


@admin.register(Student)
class StudentAdmin(ScopedAdmin):
    list_display = ("name", "gender", "birth_date", "school", "school_class", "status")
    list_filter = ("status", "school")
    search_fields = ("name", "name_pinyin", "name_initials", "id_last4", "student_number")
    # school / class / status change only through 学籍异动 (services), never by editing a row
    readonly_fields = ("name_pinyin", "name_initials", "id_last4", "status", "school", "grade", "school_class")
    raw_id_fields = ("village",)
    inlines = [FamilyMemberInline]

    def has_delete_permission(self, request, obj=None):
        return False  # 学生离开学籍须办理学籍异动


@admin.register(VulnerabilityFlag)
class VulnerabilityFlagAdmin(ScopedAdmin):
    list_display = ("student", "kind", "start_date", "end_date", "source", "set_by")
    list_filter = ("kind", "source")
    raw_id_fields = ("student", "set_by", "ended_by")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("date", "student", "kind", "status_before", "status_after", "recorded_by")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(TransferConfirmation)
class TransferConfirmationAdmin(ReadOnlyAdmin):
    list_display = ("status_change", "receiving_school_name", "received_date", "confirmed_by")


@admin.register(StatusChangeDocument)
class StatusChangeDocumentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "status_change", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("student", "school_year", "school", "school_class", "start_date", "end_date")
    list_filter = ("school_year",)


@admin.register(CareAssignment)
class CareAssignmentAdmin(ScopedAdmin):
    list_display = ("teacher", "student", "is_active", "start_date", "end_date")
    list_filter = ("is_active",)
    raw_id_fields = ("teacher", "student", "assigned_by")


@admin.register(OfficeSchoolLiaison)
class OfficeSchoolLiaisonAdmin(ScopedAdmin):
    list_display = ("leader", "school", "is_active", "start_date", "end_date")
    list_filter = ("is_active",)
    raw_id_fields = ("leader", "school", "assigned_by")
