"""Admin: the notice wording and the numbering counters (configuration). Notices and their service records hold the
child's and guardian's names and address: personal data (notices/privacy.py), only on the scoped notice pages."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notices.models import NoticeCounter, NoticeTemplate


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "version", "area", "title", "created_by", "created_at")
    list_filter = ("kind", "area")
    readonly_fields = ("area", "kind", "version", "title", "body", "receipt_note", "change_note", "created_by",
                       "created_at")

    def has_add_permission(self, request):
        return False  # versions are created by the 教育办's edit page (notice_template_save)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NoticeCounter)
class NoticeCounterAdmin(admin.ModelAdmin):
    list_display = ("school", "year", "last_number")
    readonly_fields = ("school", "year", "last_number")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
