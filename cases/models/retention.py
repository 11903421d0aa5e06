"""Retention 保学 (五.4): scheduled follow-ups after return; closing 销号 with evidence and a 教育办 reviewer."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from students.models import ScopedQuerySet


class FollowUpQuerySet(ScopedQuerySet):
    def pending(self):
        return self.filter(done_on__isnull=True, cancelled=False)

    def overdue(self, today):
        return self.pending().filter(due_date__lt=today)


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", "跟踪家访"
        COUNSELLING = "counselling", "谈心辅导"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="followups", verbose_name="个案")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    due_date = models.DateField("计划日期", db_index=True)
    done_on = models.DateField("完成日期", null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="完成人")
    note = models.TextField("记录", blank=True)
    visit = models.ForeignKey("cases.HomeVisit", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="followups", verbose_name="对应家访")
    cancelled = models.BooleanField("已取消", default=False)
    overdue_notified_at = models.DateTimeField("逾期提醒时间", null=True, blank=True)
    history = HistoricalRecords()

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "保学跟踪计划"
        ordering = ["due_date", "id"]

    def __str__(self):
        return f"{self.due_date} {self.get_kind_display()}"

    def is_overdue(self, today):
        return self.done_on is None and not self.cancelled and self.due_date < today


class CaseClosure(models.Model):
    """A 销号 request with its evidence, decided by a 教育办 reviewer."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已批准销号"
        REJECTED = "rejected", "退回补充"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="closures", verbose_name="个案")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="申请人")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    enrolment_restored = models.BooleanField("学籍已恢复（在读）", default=False)
    school_days_since_return = models.PositiveSmallIntegerField("复学以来应到校天数", default=0)
    attended_days = models.PositiveSmallIntegerField("复学以来实际到校天数")
    evidence_note = models.TextField("销号依据说明")
    evidence_file = models.FileField("证明材料", upload_to="closures/%Y/", blank=True)
    status = models.CharField("审核状态", max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="审核人（教育办）")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "销号申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_closure"),
        ]

    def __str__(self):
        return f"{self.case} 销号申请（{self.get_status_display()}）"
