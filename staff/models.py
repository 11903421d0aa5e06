"""What the go-live needs beside kongchuo's User and RoleAssignment: a staff profile per account (ID number for
re-import matching, home school, the one-time-password state) and one record per staff file imported."""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from students.models.core import ScopedQuerySet
from students.models.imports import ImportRecordBase


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile",
                                verbose_name="账号")
    id_number = models.CharField("身份证号", max_length=30, null=True, blank=True, unique=True)
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="staff_profiles", verbose_name="所在学校")
    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="管理区")
    post = models.CharField("岗位", max_length=50, blank=True)
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)
    password_issued_at = models.DateTimeField("一次性密码发放时间", null=True, blank=True)
    password_issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="+", verbose_name="发放人")
    password_changed_at = models.DateTimeField("本人修改密码时间", null=True, blank=True)
    ended_at = models.DateTimeField("停用时间", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="停用人")
    end_reason = models.CharField("停用原因", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "教职工账号信息"

    def __str__(self):
        return str(self.user)


class StaffImport(ImportRecordBase):
    """教职工名单导入记录: one staff file, for one school or area-wide."""

    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, related_name="+", verbose_name="管理区")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="学校", help_text="空 = 全区名单（按“学校”列区分）")
    history = HistoricalRecords(excluded_fields=["errors", "warnings", "details"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "教职工名单导入记录"
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.school or self.area} {self.original_name}（{self.get_status_display()}）"


class OrgImport(ImportRecordBase):
    """学校名录 / 村（社区）名录 import record (go-live set-up)."""

    class Kind(models.TextChoices):
        SCHOOLS = "schools", "学校名录"
        VILLAGES = "villages", "村（社区）名录"
        CLASSES = "classes", "年级与班级"

    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, related_name="+", verbose_name="管理区")
    kind = models.CharField("名录", max_length=10, choices=Kind.choices)
    history = HistoricalRecords(excluded_fields=["errors", "warnings", "details"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学校/村名录导入记录"
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}（{self.get_status_display()}）"


class SmsCode(models.Model):
    """A one-time code sent by SMS for a forgotten password (only when a gateway is configured). Hashed, short-lived,
    few attempts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="账号")
    code_hash = models.CharField("验证码（散列）", max_length=128)
    created = models.DateTimeField("发送时间", auto_now_add=True, db_index=True)
    expires = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used = models.BooleanField("已使用", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"
        ordering = ["-created"]
