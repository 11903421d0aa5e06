"""Notices (SPEC §6): 劝返复学通知书 / 辍学学生劝返通知书, their numbering, service (送达) and the 7-day clock.

A notice freezes everything it prints at issue time (`content` + the template version it used), so a
reprint is the same document years later, whatever happened to the case, the school or the template.
"""
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from students.models import ScopedQuerySet


class NoticeKind(models.TextChoices):
    RETURN = "return", "劝返复学通知书"
    TERM_START = "term_start", "辍学学生劝返通知书"


class NoticeTemplate(models.Model):
    """Text of a notice kind for one 管理区, edited by the 教育办. Every edit is a new version; old ones stay."""

    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, related_name="notice_templates",
                             verbose_name="管理区")
    kind = models.CharField("通知书种类", max_length=12, choices=NoticeKind.choices)
    version = models.PositiveIntegerField("版本号")
    title = models.CharField("标题", max_length=40)
    body = models.TextField("正文", help_text="每段一行；可用占位符见下方说明，例如 {监护人}、{学生}、{期限天数}。")
    receipt_note = models.TextField("送达回证备注", blank=True)
    change_note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="修订人")
    created_at = models.DateTimeField("修订时间", auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "通知书模板"
        ordering = ["area", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["area", "kind", "version"], name="unique_notice_template_version"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} 第{self.version}版"


class NoticeCounter(models.Model):
    """The last serial number a school used in a calendar year; locked (SELECT … FOR UPDATE) while issuing."""

    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="notice_counters",
                               verbose_name="学校")
    year = models.PositiveSmallIntegerField("年度")
    last_number = models.PositiveIntegerField("已用最大序号", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "通知书编号计数器"
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="unique_notice_counter")]

    def __str__(self):
        return f"{self.school} {self.year}年：{self.last_number}"


def notice_pdf_upload_to(instance, filename):
    return f"notices/pdf/{instance.year}/{instance.school_id}/notice-{instance.pk}-{instance.seq:03d}.pdf"


class NoticeQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=Notice.OPEN_STATUSES)


class Notice(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "已下达（待送达）"
        SERVED = "served", "已送达（期限中）"
        RETURNED = "returned", "已复学（停止计时）"
        ENDED = "ended", "个案已结束（停止计时）"
        OVERDUE = "overdue", "逾期（已上报管理区）"
        CANCELLED = "cancelled", "已作废"

    OPEN_STATUSES = (Status.ISSUED, Status.SERVED)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notices", verbose_name="个案")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="notices",
                               verbose_name="下达学校")
    kind = models.CharField("通知书种类", max_length=12, choices=NoticeKind.choices)
    template = models.ForeignKey(NoticeTemplate, on_delete=models.PROTECT, related_name="notices",
                                 verbose_name="所用模板版本")
    year = models.PositiveSmallIntegerField("编号年度")
    seq = models.PositiveIntegerField("编号序号")
    number_prefix = models.CharField("编号前缀", max_length=20)
    guardian = models.ForeignKey("students.FamilyMember", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="notices", verbose_name="监护人")
    content = models.JSONField("通知书内容（下达时固定）", default=dict)
    issue_date = models.DateField("下达日期")
    red_header = models.BooleanField("红头", default=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ISSUED, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="下达人")
    issued_at = models.DateTimeField("下达时间", auto_now_add=True)
    served_at = models.DateTimeField("送达时间", null=True, blank=True)
    deadline_date = models.DateField("限期返校日期", null=True, blank=True)
    due_at = models.DateTimeField("期限届满时刻", null=True, blank=True)
    closed_at = models.DateTimeField("计时结束时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("作废时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="作废人")
    cancel_reason = models.CharField("作废原因", max_length=200, blank=True)
    # The printed PDF, rendered once from the frozen content (reprints are these bytes; batches join them).
    pdf = models.FileField("PDF 文件", upload_to=notice_pdf_upload_to, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["pdf"])

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "劝返通知书"
        ordering = ["-year", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["school", "year", "seq"], name="unique_notice_number"),
            models.UniqueConstraint(fields=["case"], condition=models.Q(status__in=["issued", "served"]),
                                    name="one_open_notice_per_case"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="notice_seq_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="cancelled_notice_has_reason"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["school", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def number(self):
        return format_number(self.number_prefix, self.year, self.seq)

    @property
    def title(self):
        return self.template.title if self.template_id else self.get_kind_display()

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now=None):
        """逾期: escalated already, or served and the deadline passed (before the deadline run caught it)."""
        if self.status == self.Status.OVERDUE:
            return True
        now = now or timezone.now()
        return self.status == self.Status.SERVED and self.due_at is not None and self.due_at <= now

    def days_left(self, today=None):
        if self.status != self.Status.SERVED or self.deadline_date is None:
            return None
        today = today or timezone.localdate()
        return (self.deadline_date - today).days


def format_number(prefix, year, seq):
    """`土城小〔2026〕第012号`: school prefix, calendar year in 六角括号, three-digit serial."""
    return f"{prefix}〔{year}〕第{seq:03d}号"


def deadline_for(served_at, days=None):
    """The deadline date and the moment it lapses. The day of service does not count (calendar days)."""
    days = settings.KONGCHUO["NOTICE_DEADLINE_DAYS"] if days is None else days
    served_date = timezone.localtime(served_at).date()
    deadline_date = served_date + timedelta(days=days)
    due_at = timezone.make_aware(datetime.combine(deadline_date + timedelta(days=1), time.min))
    return deadline_date, due_at


def receipt_upload_to(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    stamp = timezone.now().strftime("%Y/%m")
    return f"notices/receipts/{stamp}/notice-{instance.notice_id}.{ext}"


class NoticeService(models.Model):
    """送达记录: when, how and to whom a notice was delivered, with a scan of the signed 送达回证."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", "当面送达"
        LEFT = "left", "留置送达"
        MAIL = "mail", "邮寄送达"
        VILLAGE = "village", "委托村干部送达"

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="service", verbose_name="通知书")
    served_at = models.DateTimeField("送达时间")
    method = models.CharField("送达方式", max_length=12, choices=Method.choices)
    recipient_name = models.CharField("受送达人（签收人）", max_length=50)
    recipient_relation = models.CharField("与学生关系", max_length=20, blank=True)
    place = models.CharField("送达地点", max_length=200)
    deliverers = models.CharField("送达人", max_length=100)
    witness = models.CharField("见证人", max_length=100, blank=True, help_text="留置送达时必填")
    receipt_scan = models.FileField("送达回证照片/扫描件", upload_to=receipt_upload_to, blank=True)
    note = models.TextField("备注", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "通知书送达记录"

    def __str__(self):
        return f"{self.notice.number} {self.get_method_display()}"
