"""Finding children out of school (SPEC §4, seed 五.1): roll-call and absences, absence episodes and their
threshold events, term-start 报到 and the 未返校 entries it produces.

Scope of every model here is its student's (kongchuo.access.RULES), except RollCall which is its class's.
"""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .core import ScopedQuerySet


class AbsenceLevel(models.TextChoices):
    """Threshold levels of an unexcused absence streak (settings.KONGCHUO ABSENCE_*_DAYS)."""

    ALERT = "alert", "缺勤预警（班主任家访）"
    SUSPECTED = "suspected", "疑似辍学"
    DROPOUT = "dropout", "辍学"


LEVEL_ORDER = [AbsenceLevel.ALERT, AbsenceLevel.SUSPECTED, AbsenceLevel.DROPOUT]


class RollCall(models.Model):
    """点名: one per class and school day. A student of the class without an Absence that day was present (到)."""

    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, related_name="roll_calls",
                                     verbose_name="班级")
    date = models.DateField("点名日期")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="点名人")
    recorded_at = models.DateTimeField("点名时间", auto_now=True)
    present_count = models.PositiveIntegerField("到校人数", default=0)
    absent_count = models.PositiveIntegerField("缺勤人数", default=0)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "班级点名"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["school_class", "date"], name="one_roll_call_per_class_day")]

    def __str__(self):
        return f"{self.school_class} {self.date:%Y-%m-%d} 点名"


class Absence(models.Model):
    """缺勤: one row per student and date (a roll-call mark or a per-student entry over a date range)."""

    class Reason(models.TextChoices):
        SICK = "sick", "病假"
        PERSONAL = "personal", "事假"
        UNEXCUSED = "unexcused", "无故"

    class Source(models.TextChoices):
        ROLL_CALL = "roll_call", "班级点名"
        ENTRY = "entry", "个人登记"

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="absences",
                                verbose_name="学生")
    date = models.DateField("缺勤日期")
    reason = models.CharField("缺勤原因", max_length=12, choices=Reason.choices)
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="当时班级")
    roll_call = models.ForeignKey(RollCall, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="absences", verbose_name="点名记录")
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.ROLL_CALL)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "缺勤记录"
        ordering = ["-date", "student"]
        constraints = [models.UniqueConstraint(fields=["student", "date"], name="one_absence_per_student_day")]
        indexes = [models.Index(fields=["date", "reason"]), models.Index(fields=["student", "reason", "date"])]

    def __str__(self):
        return f"{self.student} {self.date:%Y-%m-%d} {self.get_reason_display()}"


class AbsenceEpisode(models.Model):
    """One run of consecutive unexcused school days (连续无故缺勤). Thresholds fire once per episode.

    Open while the student's latest record is still an unexcused absence; closed (ended_on) when a
    later school day shows them present or on leave, or nothing was recorded for the grace days.
    """

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="absence_episodes",
                                verbose_name="学生")
    since = models.DateField("首个缺勤日")
    last_absent_on = models.DateField("最近缺勤日")
    days = models.PositiveIntegerField("连续无故缺勤校日数", default=0)
    level = models.CharField("已达等级", max_length=10, choices=AbsenceLevel.choices, blank=True)
    is_open = models.BooleanField("持续中", default=True, db_index=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "连续缺勤事件"
        ordering = ["-last_absent_on"]
        constraints = [models.UniqueConstraint(fields=["student"], condition=models.Q(is_open=True),
                                               name="one_open_absence_episode")]
        indexes = [models.Index(fields=["is_open", "level"])]

    def __str__(self):
        return f"{self.student} 自{self.since:%m月%d日}起连续无故缺勤{self.days}天"


class AbsenceAlert(models.Model):
    """A threshold crossed in an episode (预警/疑似辍学/辍学). Append-only; one per episode and level."""

    episode = models.ForeignKey(AbsenceEpisode, on_delete=models.CASCADE, related_name="alerts",
                                verbose_name="缺勤事件")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="absence_alerts",
                                verbose_name="学生")
    level = models.CharField("等级", max_length=10, choices=AbsenceLevel.choices)
    days = models.PositiveIntegerField("触发时连续缺勤校日数")
    since = models.DateField("首个缺勤日")
    reached_on = models.DateField("触发日期")
    created = models.DateTimeField("记录时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="触发人")
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "缺勤预警"
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["episode", "level"], name="one_alert_per_episode_level")]

    def __str__(self):
        return f"{self.student} {self.get_level_display()}（{self.days}天）"


class TermArrival(models.Model):
    """开学报到: the 班主任 confirms, class by class, who has reported for a term."""

    term = models.ForeignKey("kongchuo.Term", on_delete=models.PROTECT, related_name="arrivals", verbose_name="学期")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="term_arrivals",
                                verbose_name="学生")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="+", verbose_name="学校")
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="班级")
    arrived = models.BooleanField("已报到", default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="确认人")
    recorded_at = models.DateTimeField("确认时间", auto_now=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "开学报到"
        constraints = [models.UniqueConstraint(fields=["term", "student"], name="one_arrival_per_term_student")]
        indexes = [models.Index(fields=["term", "school", "arrived"]), models.Index(fields=["term", "school_class"])]

    def __str__(self):
        return f"{self.student} {self.term} {'已报到' if self.arrived else '未报到'}"


class NonReturnEntry(models.Model):
    """未返校: enrolled last term, not reported this term, no recorded 学籍异动 (seed 五.1). Feeds 未返校学生花名册."""

    class Status(models.TextChoices):
        PENDING = "pending", "待核实去向"
        LOCATED = "located", "去向已核实"
        RETURNED = "returned", "已返校"
        CHANGE_RECORDED = "change_recorded", "已办理学籍异动"

    OPEN_STATUSES = (Status.PENDING, Status.LOCATED)

    class Whereabouts(models.TextChoices):
        UNKNOWN = "", "待填写"
        AT_HOME = "at_home", "在家"
        WORKING = "working", "外出务工"
        WITH_PARENTS = "with_parents", "随父母外出"
        OTHER_SCHOOL = "other_school", "在外地就读（未办转学）"
        ILL = "ill", "因病在家或住院"
        MARRIED = "married", "早婚"
        MISSING = "missing", "下落不明"
        OTHER = "other", "其他"

    term = models.ForeignKey("kongchuo.Term", on_delete=models.PROTECT, related_name="non_returns",
                             verbose_name="学期")
    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="non_returns",
                                verbose_name="学生")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="non_returns",
                               verbose_name="学校")
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="班级")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    whereabouts = models.CharField("去向", max_length=16, choices=Whereabouts.choices, blank=True)
    whereabouts_detail = models.CharField("去向说明", max_length=200, blank=True,
                                          help_text="例如：随父母在浙江省杭州市，已电话联系家长")
    returned_on = models.DateField("返校日期", null=True, blank=True)
    note = models.TextField("备注", blank=True)
    created = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="登记人")
    updated = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="更新人")
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "未返校学生"
        ordering = ["school", "school_class__grade__level", "school_class__number", "student__name_pinyin"]
        constraints = [models.UniqueConstraint(fields=["term", "student"], name="one_non_return_per_term_student")]
        indexes = [models.Index(fields=["school", "term", "status"])]

    def __str__(self):
        return f"{self.student} {self.term} 未返校（{self.get_status_display()}）"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES
