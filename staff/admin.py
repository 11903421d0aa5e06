"""The system administrator sees the go-live records read-only (accounts are managed on the staff pages)."""
from django.contrib import admin

from kongchuo.admin import ReadOnlyHistoryAdmin
from staff.models import OrgImport, StaffImport, StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(ReadOnlyHistoryAdmin):
    list_display = ("user", "school", "post", "must_change_password", "password_issued_at", "ended_at")
    list_filter = ("must_change_password", "school")
    search_fields = ("user__username", "user__real_name")
    exclude = ("id_number",)


@admin.register(StaffImport)
class StaffImportAdmin(ReadOnlyHistoryAdmin):
    list_display = ("original_name", "school", "area", "status", "created", "new_count", "updated_count",
                    "invalid_count")
    exclude = ("file",)


@admin.register(OrgImport)
class OrgImportAdmin(ReadOnlyHistoryAdmin):
    list_display = ("original_name", "kind", "area", "status", "created", "new_count", "updated_count",
                    "invalid_count")
    exclude = ("file",)
