from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notices.models import Notice, NoticeCounter, NoticeService, NoticeTemplate


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


@admin.register(Notice)
class NoticeAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "school", "status", "issue_date", "served_at", "deadline_date")
    list_filter = ("status", "kind", "school")
    search_fields = ("content__student_name", "content__guardian_name")
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NoticeService)
class NoticeServiceAdmin(SimpleHistoryAdmin):
    list_display = ("notice", "served_at", "method", "recipient_name", "deliverers")
    readonly_fields = [f.name for f in NoticeService._meta.fields]

    def has_add_permission(self, request):
        return False

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
