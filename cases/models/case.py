"""Cases (SPEC §5): one case per episode of a child at risk or out of school.

The lifecycle lives in cases/transitions.py (the one table) and cases/services (the one service that applies
it). Nothing here changes `status` or `stage` by itself.
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from students.models import ScopedQuerySet


class CaseQuerySet(ScopedQuerySet):
    def alive(self):
        return self.filter(is_deleted=False)

    def open(self):
        return self.alive().exclude(status__in=Case.CLOSED_STATUSES)

    def overdue(self, now=None):
        now = now or timezone.now()
        return self.open().filter(stage_due_at__lt=now).exclude(status__in=Case.CLOCK_STOPPED_STATUSES)


class Case(models.Model):
    class Status(models.TextChoices):
        WARNING = "warning", "预警"
        PERSUADING = "persuading", "劝返中"
        NOTICE_SERVED = "notice_served", "通知已送达"
        REPORTED = "reported", "上报管理区"
        RETURNED = "returned", "已复学"
        RETENTION = "retention", "保学跟踪"
        PAUSED = "paused", "缓学中"
        CLOSED = "closed", "销号"
        CLOSED_TRANSFER = "closed_transfer", "转学已确认"
        CLOSED_DEATH = "closed_death", "死亡"
        CLOSED_EXEMPT = "closed_exempt", "缓学/免学已批准"
        CLOSED_AGED_OUT = "closed_aged_out", "超龄/毕业"

    CLOSED_STATUSES = (Status.CLOSED, Status.CLOSED_TRANSFER, Status.CLOSED_DEATH, Status.CLOSED_EXEMPT,
                       Status.CLOSED_AGED_OUT)
    # Still out of school (or at risk): persuasion continues, tier deadlines run.
    OUT_OF_SCHOOL_STATUSES = (Status.WARNING, Status.PERSUADING, Status.NOTICE_SERVED, Status.REPORTED)
    # Open statuses where the tier clock does not run (child back at school or deferral approved).
    CLOCK_STOPPED_STATUSES = (Status.RETURNED, Status.RETENTION, Status.PAUSED)

    class Stage(models.TextChoices):
        TEACHER = "teacher", "教师"
        SCHOOL = "school", "学校"
        OFFICE = "office", "教育办"
        SUBDISTRICT = "subdistrict", "办事处"

    STAGE_ORDER = (Stage.TEACHER, Stage.SCHOOL, Stage.OFFICE, Stage.SUBDISTRICT)

    class Trigger(models.TextChoices):
        NOT_RETURNED = "not_returned", "开学未返校"
        ABSENCE = "absence", "缺勤预警"
        POPULATION_MATCH = "population_match", "学籍比对"
        VILLAGE_SURVEY = "village_survey", "村（社区）摸排"
        TEACHER_REPORT = "teacher_report", "教师报告"
        NEVER_ENROLLED = "never_enrolled", "从未入学"

    class Reason(models.TextChoices):
        STUDY = "study", "厌学/学习困难"
        POVERTY = "poverty", "因贫"
        ILLNESS = "illness", "因病"
        DISABILITY = "disability", "因残"
        WORK = "work", "外出打工"
        EARLY_MARRIAGE = "early_marriage", "早婚早育"
        PARENT_NEGLECT = "parent_neglect", "家长不重视"
        WITH_PARENTS = "with_parents", "随父母外出"
        DISTANCE = "distance", "上学远"
        OTHER = "other", "其他"

    class Placement(models.TextChoices):
        ORIGINAL = "original", "原班"
        INSERTED = "inserted", "插班"
        SEPARATE = "separate", "单独编班"
        INCLUSIVE = "inclusive", "随班就读"
        SPECIAL_SCHOOL = "special_school", "特教学校"
        HOME_TEACHING = "home_teaching", "送教上门"
        VOCATIONAL = "vocational", "普职融合"

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="cases",
                                verbose_name="学生")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="cases", verbose_name="学校")
    trigger = models.CharField("发现途径", max_length=20, choices=Trigger.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.WARNING, db_index=True)
    status_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    stage = models.CharField("责任层级", max_length=12, choices=Stage.choices, default=Stage.TEACHER, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="owned_cases", verbose_name="当前负责人")
    stage_due_at = models.DateTimeField("本层级办理期限", null=True, blank=True, db_index=True)
    # 包保责任人 per tier (教师包人 / 校领导 / 教育办领导包学校 / 办事处).
    responsible_teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+", verbose_name="教师责任人")
    responsible_school = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name="学校责任人")
    responsible_office = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name="教育办责任人")
    responsible_subdistrict = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                                blank=True, related_name="+", verbose_name="办事处责任人")
    whereabouts = models.CharField("去向", max_length=200, blank=True)
    dropout_date = models.DateField("辍学时间", null=True, blank=True)
    note = models.TextField("情况说明", blank=True)
    # Return (五.3 应收尽收: no refusal, only a placement).
    return_date = models.DateField("复学时间", null=True, blank=True)
    placement = models.CharField("安置方式", max_length=20, choices=Placement.choices, blank=True)
    # Retention 保学 (五.4).
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="mentored_cases", verbose_name="结对帮扶教师")
    retention_until = models.DateField("保学跟踪截止", null=True, blank=True)
    paused_until = models.DateField("缓学截止", null=True, blank=True)
    opened_at = models.DateTimeField("立案时间", default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="立案人")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="结案人")
    is_deleted = models.BooleanField("已删除", default=False)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    history = HistoricalRecords()

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "控辍个案"
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["school", "status"]),
            models.Index(fields=["stage", "status"]),
            models.Index(fields=["owner", "status"]),
        ]
        constraints = [
            # One open case per student at a time (closed or soft-deleted ones do not count).
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(is_deleted=False) & ~Q(status__in=["closed", "closed_transfer", "closed_death",
                                                               "closed_exempt", "closed_aged_out"]),
                name="one_open_case_per_student",
                violation_error_message="该学生已有未结案的个案。",
            ),
        ]

    def __str__(self):
        return f"{self.student.name}（{self.get_status_display()}）"

    @property
    def is_closed(self):
        return self.status in self.CLOSED_STATUSES

    @property
    def is_out_of_school(self):
        return self.status in self.OUT_OF_SCHOOL_STATUSES

    def is_overdue(self, now=None):
        if self.is_closed or self.status in self.CLOCK_STOPPED_STATUSES or not self.stage_due_at:
            return False
        return self.stage_due_at < (now or timezone.now())

    @property
    def next_stage(self):
        i = self.STAGE_ORDER.index(self.stage)
        return self.STAGE_ORDER[i + 1] if i + 1 < len(self.STAGE_ORDER) else None

    @property
    def next_stage_label(self):
        return Case.Stage(self.next_stage).label if self.next_stage else ""

    @property
    def previous_stage(self):
        i = self.STAGE_ORDER.index(self.stage)
        return self.STAGE_ORDER[i - 1] if i > 0 else None

    @property
    def reason_codes(self):
        return [r.reason for r in self.reasons.all()]

    @property
    def reason_labels(self):
        return "、".join(r.get_reason_display() for r in self.reasons.all())

    def delete(self, *args, **kwargs):
        raise PermissionDenied("个案数据只能软删除（case_soft_delete）。")


class CaseReason(models.Model):
    """辍学原因 — several per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reasons", verbose_name="个案")
    reason = models.CharField("原因", max_length=20, choices=Case.Reason.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "辍学原因"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "reason"], name="unique_case_reason")]

    def __str__(self):
        return self.get_reason_display()


class AppendOnly(models.Model):
    """Rows that record what happened: never updated or deleted by the app."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk and not getattr(self, "_allow_update", False):
            raise PermissionError(f"{self._meta.verbose_name}不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name}不可删除")


class CaseEvent(AppendOnly):
    """The case timeline: who did what, when, and why. Append-only; written by the service that made the change."""

    class Kind(models.TextChoices):
        OPENED = "opened", "立案"
        STATUS = "status", "状态变更"
        ESCALATED = "escalated", "上报上一层级"
        RETURNED_DOWN = "returned_down", "退回下一层级"
        REASSIGNED = "reassigned", "变更负责人"
        VISIT = "visit", "家访"
        SIGNAL = "signal", "系统发现"
        RETURN = "return", "复学登记"
        RETENTION = "retention", "保学安排"
        FOLLOWUP = "followup", "跟踪帮扶"
        CLOSURE_REQUEST = "closure_request", "申请销号"
        CLOSURE_REVIEW = "closure_review", "销号审核"
        EXEMPTION = "exemption", "缓学/免学"
        ASSISTANCE = "assistance", "资助帮扶"
        EDIT = "edit", "信息修改"
        DEADLINE = "deadline", "期限提醒"
        NOTE = "note", "备注"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", verbose_name="个案")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, db_index=True)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    from_status = models.CharField("原状态", max_length=20, choices=Case.Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=Case.Status.choices, blank=True)
    from_stage = models.CharField("原层级", max_length=12, choices=Case.Stage.choices, blank=True)
    to_stage = models.CharField("新层级", max_length=12, choices=Case.Stage.choices, blank=True)
    reason = models.TextField("原因/说明", blank=True)
    details = models.JSONField("详情", default=dict, blank=True)
    key = models.CharField("去重键", max_length=120, blank=True, db_index=True,
                           help_text="系统自动事件的去重键（信号、期限），保证重复执行只记录一次")

    class Meta:
        verbose_name = verbose_name_plural = "个案时间线"
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], condition=~Q(key=""), name="unique_case_event_key"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    @property
    def actor_label(self):
        return self.actor.display_name if self.actor_id else "系统"


class TierPolicy(models.Model):
    """Deadline of each escalation tier (working days) and whether an overdue case escalates by itself."""

    stage = models.CharField("责任层级", max_length=12, choices=Case.Stage.choices, unique=True)
    deadline_workdays = models.PositiveSmallIntegerField("办理期限（工作日）")
    auto_escalate = models.BooleanField("超期自动上报", default=False)
    history = HistoricalRecords()

    DEFAULTS = {
        Case.Stage.TEACHER: (5, True),
        Case.Stage.SCHOOL: (10, True),
        Case.Stage.OFFICE: (10, False),
        Case.Stage.SUBDISTRICT: (15, False),
    }

    class Meta:
        verbose_name = verbose_name_plural = "层级办理期限"
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_stage_display()}：{self.deadline_workdays} 个工作日"

    @classmethod
    def for_stage(cls, stage):
        policy = cls.objects.filter(stage=stage).first()
        if policy is None:
            days, auto = cls.DEFAULTS[stage]
            policy = cls(stage=stage, deadline_workdays=days, auto_escalate=auto)
        return policy


class Notification(models.Model):
    """In-app inbox (站内消息): escalations, returns down, reminders."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name="接收人")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications",
                             verbose_name="个案")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    key = models.CharField("去重键", max_length=120, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""),
                                    name="unique_notification_key"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None
