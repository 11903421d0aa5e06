"""Django admin for the registry: only the 教育办领导包学校 assignments (staff ↔ school). Students, families, flags,
学籍异动 and its proofs, enrolments and 包保 are children's personal data (students/privacy.py): the admin is the
configuration role's (系统管理员), so they live only on the app's scoped pages (kongchuo.privacy, check E010)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kongchuo import access
from students.models import OfficeSchoolLiaison


@admin.register(OfficeSchoolLiaison)
class OfficeSchoolLiaisonAdmin(SimpleHistoryAdmin):
    list_display = ("leader", "school", "is_active", "start_date", "end_date")
    list_filter = ("is_active",)
    raw_id_fields = ("leader", "school", "assigned_by")

    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)
