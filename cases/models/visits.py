"""Home visits 家访 (四(四)2, 五.4): with a case (counted as 劝返次数) or without one (大家访)."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from students.models import ScopedQuerySet


class HomeVisitQuerySet(ScopedQuerySet):
    def alive(self):
        return self.filter(is_deleted=False)


class HomeVisit(models.Model):
    class Mode(models.TextChoices):
        HOME = "home", "入户"
        PHONE = "phone", "电话"
        WECHAT = "wechat", "微信"
        AT_SCHOOL = "at_school", "到校约谈"

    class Attitude(models.TextChoices):
        SUPPORTIVE = "supportive", "支持配合"
        HESITANT = "hesitant", "犹豫观望"
        OPPOSED = "opposed", "抵触拒绝"
        UNREACHABLE = "unreachable", "未能联系"

    class Risk(models.TextChoices):
        LOW = "low", "低"
        MEDIUM = "medium", "中"
        HIGH = "high", "高"

    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="home_visits",
                                verbose_name="学生")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
                             verbose_name="个案")
    visit_date = models.DateField("家访日期", db_index=True)
    mode = models.CharField("方式", max_length=12, choices=Mode.choices, default=Mode.HOME)
    visitors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="home_visits", blank=True,
                                      verbose_name="家访人员")
    other_visitors = models.CharField("其他参与人员", max_length=200, blank=True,
                                      help_text="村干部、驻村干部等未使用本系统的人员")
    people_met = models.CharField("见到的人", max_length=200, help_text="例如：学生本人、母亲、祖父")
    family_situation = models.TextField("家庭情况", blank=True)
    findings = models.TextField("了解到的情况")
    guardian_attitude = models.CharField("监护人态度", max_length=12, choices=Attitude.choices)
    risk_level = models.CharField("辍学风险评估", max_length=8, choices=Risk.choices, blank=True)
    next_step = models.CharField("约定的下一步", max_length=300, blank=True)
    next_step_date = models.DateField("下一步日期", null=True, blank=True)
    idempotency_key = models.UUIDField("提交标识", null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", default=timezone.now)
    is_deleted = models.BooleanField("已删除", default=False)
    history = HistoricalRecords(m2m_fields=[visitors])

    objects = HomeVisitQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "家访记录"
        ordering = ["-visit_date", "-id"]
        indexes = [models.Index(fields=["student", "visit_date"])]

    def __str__(self):
        return f"{self.visit_date} {self.student.name} {self.get_mode_display()}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="photos", verbose_name="家访记录")
    image = models.ImageField("照片", upload_to="visits/%Y/%m/")
    width = models.PositiveIntegerField("宽", default=0)
    height = models.PositiveIntegerField("高", default=0)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "家访照片"
        ordering = ["id"]

    def __str__(self):
        return self.image.name
