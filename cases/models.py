"""Cases (SPEC §5). Core model; the cases issue adds the transition table, events, visits, exemptions…"""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from students.models import ScopedQuerySet


class CaseQuerySet(ScopedQuerySet):
    def alive(self):
        return self.filter(is_deleted=False)


class Case(models.Model):
    class Status(models.TextChoices):
        WARNING = "warning", "预警"
        PERSUADING = "persuading", "劝返中"
        NOTICE_SERVED = "notice_served", "通知已送达"
        REPORTED = "reported", "上报管理区"
        RETURNED = "returned", "已复学"
        RETENTION = "retention", "保学跟踪"
        CLOSED = "closed", "销号"
        CLOSED_TRANSFER = "closed_transfer", "转学已确认"
        CLOSED_DEATH = "closed_death", "死亡"
        CLOSED_EXEMPT = "closed_exempt", "缓学/免学已批准"
        CLOSED_AGED_OUT = "closed_aged_out", "超龄/毕业"

    CLOSED_STATUSES = (Status.CLOSED, Status.CLOSED_TRANSFER, Status.CLOSED_DEATH, Status.CLOSED_EXEMPT,
                       Status.CLOSED_AGED_OUT)

    class Stage(models.TextChoices):
        TEACHER = "teacher", "教师"
        SCHOOL = "school", "学校"
        OFFICE = "office", "教育办"
        SUBDISTRICT = "subdistrict", "办事处"

    class Trigger(models.TextChoices):
        NOT_RETURNED = "not_returned", "开学未返校"
        ABSENCE = "absence", "缺勤预警"
        POPULATION_MATCH = "population_match", "学籍比对"
        VILLAGE_SURVEY = "village_survey", "村（社区）摸排"
        TEACHER_REPORT = "teacher_report", "教师报告"
        NEVER_ENROLLED = "never_enrolled", "从未入学"

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="cases",
                                verbose_name="学生")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="cases", verbose_name="学校")
    trigger = models.CharField("发现途径", max_length=20, choices=Trigger.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.WARNING, db_index=True)
    stage = models.CharField("责任层级", max_length=12, choices=Stage.choices, default=Stage.TEACHER, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="owned_cases", verbose_name="当前负责人")
    stage_due_at = models.DateTimeField("本层级办理期限", null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField("立案时间", auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="立案人")
    is_deleted = models.BooleanField("已删除", default=False)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    history = HistoricalRecords()

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "控辍个案"
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["school", "status"]), models.Index(fields=["stage", "status"])]

    def __str__(self):
        return f"{self.student.name}（{self.get_status_display()}）"

    @property
    def is_closed(self):
        return self.status in self.CLOSED_STATUSES
