"""Personal accounts and role assignments (SPEC §1). Scope rules live in kongchuo/access.py."""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    real_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    @property
    def display_name(self):
        return self.real_name or self.get_full_name() or self.username

    def __str__(self):
        return self.display_name if self.real_name == "" else f"{self.real_name}（{self.username}）"


class Role(models.TextChoices):
    TEACHER = "teacher", "科任教师"
    HEAD_TEACHER = "head_teacher", "班主任"
    GRADE_LEADER = "grade_leader", "校领导（包年级）"
    SCHOOL_ADMIN = "school_admin", "校长/学校管理员"
    OFFICE_STAFF = "office_staff", "教育办工作人员"
    SUBDISTRICT_STAFF = "subdistrict_staff", "办事处工作人员"
    VILLAGE_CADRE = "village_cadre", "村/社区干部"
    LEADERSHIP = "leadership", "领导小组成员"
    SYSADMIN = "sysadmin", "系统管理员"


# Which scope object each role is bound to (the field of RoleAssignment that must be filled).
ROLE_SCOPE_FIELD = {
    Role.TEACHER: "school",
    Role.HEAD_TEACHER: "school_class",
    Role.GRADE_LEADER: "grade",
    Role.SCHOOL_ADMIN: "school",
    Role.OFFICE_STAFF: "area",
    Role.SUBDISTRICT_STAFF: "subdistrict",
    Role.VILLAGE_CADRE: "village",
    Role.LEADERSHIP: "area",
    Role.SYSADMIN: "area",
}
SCOPE_FIELDS = ("area", "subdistrict", "village", "school", "grade", "school_class")


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name="用户")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, null=True, blank=True, verbose_name="管理区")
    subdistrict = models.ForeignKey("kongchuo.SubDistrict", on_delete=models.PROTECT, null=True, blank=True,
                                    verbose_name="办事处")
    village = models.ForeignKey("kongchuo.Village", on_delete=models.PROTECT, null=True, blank=True,
                                verbose_name="村/社区")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True, verbose_name="学校")
    grade = models.ForeignKey("kongchuo.Grade", on_delete=models.PROTECT, null=True, blank=True, verbose_name="年级")
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     verbose_name="班级")
    is_active = models.BooleanField("有效", default=True)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    note = models.CharField("备注", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "角色分配"
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self):
        return f"{self.user.display_name}：{self.get_role_display()}（{self.scope_object}）"

    @property
    def scope_field(self):
        return ROLE_SCOPE_FIELD[self.role]

    @property
    def scope_object(self):
        return getattr(self, self.scope_field, None)

    def clean(self):
        field = ROLE_SCOPE_FIELD.get(self.role)
        if field is None:
            return
        if getattr(self, f"{field}_id") is None:
            label = self._meta.get_field(field).verbose_name
            raise ValidationError({field: f"角色“{self.get_role_display()}”必须指定{label}。"})
        extra = [f for f in SCOPE_FIELDS if f != field and getattr(self, f"{f}_id") is not None]
        if extra:
            labels = "、".join(str(self._meta.get_field(f).verbose_name) for f in extra)
            raise ValidationError(f"角色“{self.get_role_display()}”只需指定一个范围，请清空：{labels}。")
