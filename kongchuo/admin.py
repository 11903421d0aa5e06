"""Admin of the configuration role (系统管理员): org tree, accounts and roles, calendar, code lists, audit log.
Models holding children's data are never registered here (kongchuo.privacy, check kongchuo.E010)."""
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from simple_history.admin import SimpleHistoryAdmin

from kongchuo import access, text, uploads
from kongchuo.forms import ChineseFormMixin
from kongchuo.models import (
    AccessLog, Area, CalendarException, EducationOffice, Grade, Job, LeadershipGroup, LeadershipMember, Role,
    RoleAssignment, School, SchoolClass, SchoolYear, SubDistrict, Term, User, Village,
)


def _admin_has_permission(request):
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or access.has_role(user, Role.SYSADMIN))


admin.site.has_permission = _admin_has_permission


class ReadOnlyAdminMixin:
    """For records written only through the app's services or pages (audit log, case data, import records): the
    admin shows them and never adds, edits or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only, with the simple-history 历史 view."""


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up when the form is shown again: a value that is not
    an id (" ", "abc", "1.5") raised ValueError there — a 500 instead of the form error. Such values are dropped
    before the lookup; the field's own error (named in Chinese) is shown."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        valid = []
        for v in value:
            try:
                target.to_python(v)
            except ValidationError:
                continue
            valid.append(v)
        return super().optgroups(name, valid, attr)


class TrimmedModelChoiceField(forms.ModelChoiceField):
    """Whitespace only is "not chosen"; anything that is not one of the choices gets a message naming the field."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        return super().to_python(value)


class SafeAutocompleteMixin:
    """Every autocomplete foreign key of an admin form: the safe widget and a Chinese error naming the field."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            kwargs.setdefault("form_class", TrimmedModelChoiceField)
            kwargs.setdefault("error_messages", {
                "invalid_choice": f"{db_field.verbose_name}：所选项不存在，请从列表中选择或清空。"})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleAssignmentInline(SafeAutocompleteMixin, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "area", "subdistrict", "village", "school", "grade", "school_class", "is_active", "note")
    autocomplete_fields = ("school", "grade", "school_class", "village")


@admin.register(User)
class UserAdmin(SafeAutocompleteMixin, BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "real_name", "phone", "is_active", "last_login")
    search_fields = ("username", "real_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (("联系信息", {"fields": ("real_name", "phone")}),)
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    list_display = ("user", "role", "school", "grade", "school_class", "subdistrict", "village", "is_active")
    list_filter = ("role", "is_active", "school")
    search_fields = ("user__username", "user__real_name")
    autocomplete_fields = ("user", "school", "grade", "school_class", "village")


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code")


@admin.register(EducationOffice)
class EducationOfficeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "area")


@admin.register(SubDistrict)
class SubDistrictAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "area")


@admin.register(Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "kind", "subdistrict")
    list_filter = ("subdistrict", "kind")
    search_fields = ("name", "code")


class SchoolAdminForm(ChineseFormMixin, forms.ModelForm):
    # a school's name keeps its full-width brackets (土城中心小学（新）): free text, not a person's name (NFKC)
    text_kinds = {"name": text.LINE, "short_name": text.LINE}

    class Meta:
        model = School
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "work_plan" in self.fields:  # the layer names empty files and neutralises long names itself
            self.fields["work_plan"].allow_empty_file = True
            self.fields["work_plan"].max_length = None

    def clean_work_plan(self):
        """A new 工作方案 goes through the one upload layer (PDF, Word, image; type by content; random name)."""
        upload = self.cleaned_data.get("work_plan")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged, or cleared
        try:
            return uploads.verify(upload, purpose="work_plan", label="控辍保学工作方案").as_file()
        except uploads.UploadRefused as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    form = SchoolAdminForm
    list_display = ("name", "code", "kind", "subdistrict", "is_active")
    list_filter = ("kind", "subdistrict", "is_active")
    search_fields = ("name", "code")


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(SimpleHistoryAdmin):
    list_display = ("name", "start_date", "end_date", "is_current")
    inlines = [TermInline]


@admin.register(Term)
class TermAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "start_date", "end_date", "vacation_name", "vacation_start", "vacation_end")


class SchoolClassInline(admin.TabularInline):
    model = SchoolClass
    extra = 0


@admin.register(Grade)
class GradeAdmin(SimpleHistoryAdmin):
    list_display = ("school", "school_year", "level", "entry_year")
    list_filter = ("school_year", "school", "level")
    search_fields = ("school__name",)
    inlines = [SchoolClassInline]


@admin.register(SchoolClass)
class SchoolClassAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "grade")
    list_filter = ("grade__school_year", "grade__school")
    search_fields = ("grade__school__name", "name")


class LeadershipMemberInline(admin.TabularInline):
    model = LeadershipMember
    extra = 0


@admin.register(LeadershipGroup)
class LeadershipGroupAdmin(SimpleHistoryAdmin):
    list_display = ("name", "school", "document_number", "established")
    inlines = [LeadershipMemberInline]


@admin.register(CalendarException)
class CalendarExceptionAdmin(SimpleHistoryAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log can be seen, never edited or deleted from the app (§8)."""

    list_display = ("at", "username", "action", "object_type", "object_id", "scope", "purpose", "ip")
    list_filter = ("action",)
    search_fields = ("username", "object_id", "scope")
    date_hierarchy = "at"


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """后台任务, for diagnosis (the files are not shown: only the requester downloads them, on the job's page)."""

    list_display = ("pk", "label", "requester", "status", "done", "total", "attempts", "created", "finished")
    list_filter = ("status", "kind")
    search_fields = ("label", "requester__username", "message")
    # not `params` nor `result`: they may hold what the requester typed or, until shown once, a staff import's
    # one-time passwords (staff/jobs.py) — the configuration role diagnoses from status, message and error detail
    fields = ("kind", "label", "requester", "action", "scope", "status", "done", "total", "message",
              "error_detail", "cancel_requested", "attempts", "task_id", "result_name", "created", "started",
              "finished", "heartbeat", "expires")
