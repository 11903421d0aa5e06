"""Exemptions 缓学/免学 (四(一)), 送教上门 一人一案 (四(三)3, 五.3), assistance 资助 (四(三)1–2, 五.2)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models.case import AppendOnly
from students.models import ScopedQuerySet


class AliveQuerySet(ScopedQuerySet):
    def alive(self):
        return self.filter(is_deleted=False)


class Exemption(models.Model):
    """Guardian's application → 村 approval → 办事处 approval → 教育办 备案."""

    class Kind(models.TextChoices):
        DEFERRAL = "deferral", "缓学"
        EXEMPTION = "exemption", "免学"

    class AssessmentKind(models.TextChoices):
        HOSPITAL = "hospital", "医院诊断证明"
        DISABILITY = "disability", "残疾评定（残疾证）"

    class Status(models.TextChoices):
        PENDING_VILLAGE = "pending_village", "待村（社区）审批"
        PENDING_SUBDISTRICT = "pending_subdistrict", "待办事处审批"
        PENDING_OFFICE = "pending_office", "待教育办备案"
        FILED = "filed", "已备案（生效）"
        REJECTED = "rejected", "未批准"
        WITHDRAWN = "withdrawn", "已撤回"

    PENDING_STATUSES = (Status.PENDING_VILLAGE, Status.PENDING_SUBDISTRICT, Status.PENDING_OFFICE)

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="exemptions",
                                verbose_name="学生")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="exemptions", verbose_name="个案")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    reason = models.TextField("申请理由")
    guardian_name = models.CharField("申请人（法定监护人）", max_length=50)
    application_file = models.FileField("监护人书面申请", upload_to="exemptions/%Y/")
    assessment_kind = models.CharField("证明类型", max_length=12, choices=AssessmentKind.choices)
    assessment_file = models.FileField("医院诊断或残疾评定材料", upload_to="exemptions/%Y/")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("截止日期")
    status = models.CharField("审批状态", max_length=20, choices=Status.choices, default=Status.PENDING_VILLAGE,
                              db_index=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="录入人")
    applied_at = models.DateTimeField("申请时间", default=timezone.now)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    reminder_sent_at = models.DateTimeField("复评提醒时间", null=True, blank=True)
    is_deleted = models.BooleanField("已删除", default=False)
    history = HistoricalRecords()

    objects = AliveQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "缓学/免学申请"
        ordering = ["-applied_at"]

    def __str__(self):
        return f"{self.student.name} {self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def is_pending(self):
        return self.status in self.PENDING_STATUSES


class ExemptionStep(AppendOnly):
    class Step(models.TextChoices):
        APPLY = "apply", "提交申请"
        VILLAGE = "village", "村（社区）审批"
        SUBDISTRICT = "subdistrict", "办事处审批"
        OFFICE = "office", "教育办备案"

    class Decision(models.TextChoices):
        SUBMIT = "submit", "提交"
        APPROVE = "approve", "同意"
        REJECT = "reject", "不同意"

    exemption = models.ForeignKey(Exemption, on_delete=models.PROTECT, related_name="steps", verbose_name="申请")
    step = models.CharField("环节", max_length=12, choices=Step.choices)
    decision = models.CharField("意见", max_length=10, choices=Decision.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="办理人")
    at = models.DateTimeField("时间", default=timezone.now)
    comment = models.TextField("意见说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "缓学/免学审批记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_step_display()} {self.get_decision_display()}"


class TeachingPlan(models.Model):
    """送教上门 一人一案: individual education plan for a severely disabled child aged 6–15."""

    WEEKDAYS = [("0", "周一"), ("1", "周二"), ("2", "周三"), ("3", "周四"), ("4", "周五"), ("5", "周六"),
                ("6", "周日")]

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="teaching_plans",
                                verbose_name="学生")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="teaching_plans",
                               verbose_name="学籍学校")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="teaching_plans", verbose_name="个案")
    disability = models.CharField("残疾情况", max_length=200)
    goals = models.TextField("教育目标")
    schedule_days = models.CharField("每周送教日", max_length=20, help_text="星期几（0=周一 … 6=周日），逗号分隔")
    schedule_note = models.CharField("时间地点安排", max_length=200, blank=True)
    session_minutes = models.PositiveSmallIntegerField("每次时长（分钟）", default=90)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teaching_plans",
                                      verbose_name="送教教师")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="制定人")
    created_at = models.DateTimeField("制定时间", default=timezone.now)
    is_deleted = models.BooleanField("已删除", default=False)
    history = HistoricalRecords(m2m_fields=[teachers])

    objects = AliveQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "送教上门方案"
        ordering = ["school", "-start_date"]

    def __str__(self):
        return f"{self.student.name} 送教上门（{self.start_date}—{self.end_date}）"

    @property
    def weekdays(self):
        return sorted({int(d) for d in self.schedule_days.split(",") if d.strip().isdigit()})

    @property
    def schedule_label(self):
        names = dict(self.WEEKDAYS)
        return "、".join(names[str(d)] for d in self.weekdays)


class TeachingSession(models.Model):
    plan = models.ForeignKey(TeachingPlan, on_delete=models.PROTECT, related_name="sessions", verbose_name="方案")
    date = models.DateField("送教日期", db_index=True)
    duration_minutes = models.PositiveSmallIntegerField("时长（分钟）")
    content = models.TextField("送教内容")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name="送教教师")
    idempotency_key = models.UUIDField("提交标识", null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "送教记录"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date} {self.plan.student.name}"


class SessionPhoto(models.Model):
    session = models.ForeignKey(TeachingSession, on_delete=models.CASCADE, related_name="photos",
                                verbose_name="送教记录")
    image = models.ImageField("照片", upload_to="homeschool/%Y/%m/")
    width = models.PositiveIntegerField("宽", default=0)
    height = models.PositiveIntegerField("高", default=0)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "送教照片"
        ordering = ["id"]


class AssistanceRecord(models.Model):
    class Kind(models.TextChoices):
        TWO_FREE_ONE_SUBSIDY = "two_free_one", "两免一补"
        NUTRITION = "nutrition", "营养餐"
        POVERTY_SUBSIDY = "poverty_subsidy", "建档立卡资助"
        FEE_WAIVER = "fee_waiver", "减免费用"
        DONATION = "donation", "社会捐助"
        PAIRING = "pairing", "结对帮扶"
        OTHER = "other", "其他"

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="assistance_records",
                                verbose_name="学生")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="assistance_records", verbose_name="个案")
    kind = models.CharField("资助项目", max_length=20, choices=Kind.choices)
    date = models.DateField("发放/落实日期")
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    source = models.CharField("资金/帮扶来源", max_length=200)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", default=timezone.now)
    is_deleted = models.BooleanField("已删除", default=False)
    history = HistoricalRecords()

    objects = AliveQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "资助帮扶记录"
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                              name="assistance_amount_not_negative")]

    def __str__(self):
        return f"{self.date} {self.student.name} {self.get_kind_display()}"
