"""Registry history (SPEC §3): vulnerability flags, 学籍异动 (append-only), enrolment per school year,
证明材料, and the 教育办 leader ↔ school link of the 包保 chain.

State changes go through students.services; the models only hold data and the invariants the database can keep.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .core import ScopedQuerySet, Student


class AppendOnlyMixin:
    """Rows that are history: created once, never updated or deleted by the app."""

    append_only_message = "历史记录不可修改或删除"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(self.append_only_message)


# ------------------------------------------------------------------ vulnerability flags
class VulnerabilityFlag(models.Model):
    """A dated, sourced fact about a student's situation (单亲家庭, 留守, 残疾 …). Ending keeps the row."""

    class Kind(models.TextChoices):
        SINGLE_PARENT = "single_parent", "单亲家庭"
        POVERTY = "poverty", "脱贫户/监测户（建档立卡）"
        PARENT_DISABLED = "parent_disabled", "家长残疾"
        LEFT_BEHIND_ONE = "left_behind_one", "单亲留守"
        LEFT_BEHIND_BOTH = "left_behind_both", "双亲留守"
        OTHER_GUARDIAN = "other_guardian", "由其他监护人抚养"
        MIGRANT = "migrant", "流动/随迁子女"
        ORPHAN = "orphan", "孤儿"
        UNSUPPORTED = "unsupported", "事实无人抚养"
        DISABLED = "disabled", "学生残疾"
        LEARNING = "learning", "学困生"

    class Source(models.TextChoices):
        SCHOOL = "school", "学校核实"
        HOME_VISIT = "home_visit", "家访"
        IMPORT = "import", "学籍系统导入"
        VILLAGE = "village", "村（社区）摸排"
        CIVIL_AFFAIRS = "civil_affairs", "民政部门"
        RURAL = "rural", "乡村振兴（扶贫）部门"
        DISABLED_FED = "disabled_fed", "残联"
        GUARDIAN = "guardian", "监护人申报"
        OTHER = "other", "其他"

    class DisabilityType(models.TextChoices):
        VISUAL = "visual", "视力"
        HEARING = "hearing", "听力"
        SPEECH = "speech", "言语"
        PHYSICAL = "physical", "肢体"
        INTELLECTUAL = "intellectual", "智力"
        MENTAL = "mental", "精神"
        MULTIPLE = "multiple", "多重"
        OTHER = "other", "其他"

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="flags", verbose_name="学生")
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    source_detail = models.CharField("来源说明", max_length=200, blank=True, help_text="例如 文件号、摸排表、核实人")
    disability_type = models.CharField("残疾类别", max_length=20, choices=DisabilityType.choices, blank=True)
    disability_certificate = models.CharField("残疾证号", max_length=30, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="标记人")
    set_at = models.DateTimeField("标记时间", auto_now_add=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="解除人")
    end_reason = models.CharField("解除原因", max_length=200, blank=True)
    # found by flag (id) and by student; history_user: see Student.history
    history = HistoricalRecords(no_db_index=["set_by", "ended_by"], user_db_constraint=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "重点关注标记"
        ordering = ["student", "-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "kind"], condition=models.Q(end_date__isnull=True),
                                    name="one_active_flag_per_kind"),
            models.CheckConstraint(condition=models.Q(end_date__isnull=True)
                                   | models.Q(end_date__gte=models.F("start_date")),
                                   name="flag_end_after_start"),
        ]
        indexes = [models.Index(fields=["kind"], condition=models.Q(end_date__isnull=True), name="active_flag_kind")]

    def __str__(self):
        return f"{self.student.name}：{self.get_kind_display()}"

    @property
    def is_active(self):
        return self.end_date is None

    @property
    def label(self):
        if self.kind == self.Kind.DISABLED and self.disability_type:
            return f"{self.get_kind_display()}（{self.get_disability_type_display()}）"
        return self.get_kind_display()


# ------------------------------------------------------------------ 学籍异动
class StatusChange(AppendOnlyMixin, models.Model):
    """学籍异动 — append-only. student.status follows the latest change (see services.status_change_record)."""

    append_only_message = "学籍异动记录不可修改或删除；如有错误，请再办理一次异动更正。"

    class Kind(models.TextChoices):
        TRANSFER_IN = "transfer_in", "转入"
        TRANSFER_OUT = "transfer_out", "转出"
        SUSPEND = "suspend", "休学"
        RESUME = "resume", "复学"
        DROP_OUT = "drop_out", "辍学"
        DEATH = "death", "死亡"
        GRADUATE = "graduate", "毕业"
        SKIP_GRADE = "skip_grade", "跳级"

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="status_changes",
                                verbose_name="学生")
    kind = models.CharField("异动类别", max_length=20, choices=Kind.choices)
    date = models.DateField("异动日期")
    reason = models.CharField("原因", max_length=300)
    status_before = models.CharField("异动前状态", max_length=20, choices=Student.Status.choices)
    status_after = models.CharField("异动后状态", max_length=20, choices=Student.Status.choices)
    from_school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="原学校")
    from_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="原班级")
    to_school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="转入/接收学校")
    to_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="新班级")
    other_school_name = models.CharField("区外学校名称", max_length=100, blank=True,
                                         help_text="本区以外的转入来源或转出去向学校")
    expected_return_date = models.DateField("预计复学日期", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="经办人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学籍异动"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["student", "date"]), models.Index(fields=["kind", "date"])]

    def __str__(self):
        return f"{self.date} {self.student.name} {self.get_kind_display()}"

    @property
    def counterpart_school_name(self):
        school = self.to_school if self.kind != self.Kind.TRANSFER_IN else self.from_school
        return school.name if school else self.other_school_name


class TransferConfirmation(AppendOnlyMixin, models.Model):
    """The receiving school of a 转出 is known: the transfer stops being 待确认. Append-only."""

    append_only_message = "转出确认记录不可修改或删除"

    status_change = models.OneToOneField(StatusChange, on_delete=models.PROTECT, related_name="confirmation",
                                         verbose_name="转出记录")
    receiving_school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name="接收学校（本区）")
    receiving_school_name = models.CharField("接收学校名称", max_length=100)
    received_date = models.DateField("接收日期")
    note = models.CharField("说明", max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="确认人")
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "转出确认"

    def __str__(self):
        return f"{self.status_change.student.name} 转入 {self.receiving_school_name}"


def _document_path(instance, filename):
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:6]
    return f"status_documents/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class StatusChangeDocument(AppendOnlyMixin, models.Model):
    """证明材料 of a 学籍异动 (or of its confirmation). Served only through a scoped view, never as a public URL."""

    append_only_message = "证明材料不可修改或删除"

    status_change = models.ForeignKey(StatusChange, on_delete=models.PROTECT, related_name="documents",
                                      verbose_name="学籍异动")
    file = models.FileField("文件", upload_to=_document_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="上传人")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学籍异动证明材料"
        ordering = ["status_change", "pk"]

    def __str__(self):
        return self.original_name


# ------------------------------------------------------------------ enrolment per school year
class Enrolment(models.Model):
    """Where a student was enrolled during a school year (a transfer mid-year gives two rows).

    The roster of a term is the enrolments whose [start_date, end_date] overlaps it. Student.school/grade/
    school_class stay the current values; services keep both in step (students.services.enrolment_sync).
    """

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="enrolments", verbose_name="学生")
    # Enrolments are looked up by student and by (school, school_year); the other foreign keys get no index of
    # their own (only a rare delete of a year, grade or class would scan for them — each index costs every
    # imported row, README "学籍导入").
    # school, grade and school_class copy the student's own (database-checked) placement when the enrolment is
    # opened, so the database does not check them a second time (db_constraint=False): those checks of the same few
    # school/grade/class rows cost ~1 s per 50,000 imported students. PROTECT still guards deletes (Django).
    school_year = models.ForeignKey("kongchuo.SchoolYear", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="学年", db_index=False)
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="enrolments",
                               verbose_name="学校", db_index=False,  # leads the (school, school_year) index
                               db_constraint=False)
    grade = models.ForeignKey("kongchuo.Grade", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name="年级", db_index=False, db_constraint=False)
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="班级", db_index=False, db_constraint=False)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    end_change = models.ForeignKey(StatusChange, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name="结束原因（异动）", db_index=False)
    # history is found by enrolment (id) and by student; its other foreign keys are never searched;
    # history_user: see Student.history
    history = HistoricalRecords(no_db_index=["school_year", "school", "grade", "school_class", "end_change"],
                                user_db_constraint=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学年在籍记录"
        ordering = ["student", "start_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=models.Q(end_date__isnull=True),
                                    name="one_open_enrolment"),
        ]
        indexes = [models.Index(fields=["school", "school_year"])]

    def __str__(self):
        return f"{self.student.name} {self.school_year.name} {self.school.name}"


# ------------------------------------------------------------------ 教育办领导包学校
class OfficeSchoolLiaison(models.Model):
    """包保 chain, top tier: an 教育办 leader responsible for a school (教育办领导包学校)."""

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="liaison_schools",
                               verbose_name="教育办包校领导")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="liaisons",
                               verbose_name="学校")
    is_active = models.BooleanField("有效", default=True)
    start_date = models.DateField("开始日期", auto_now_add=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="指定人")
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "包保关系（教育办领导包学校）"
        constraints = [
            models.UniqueConstraint(fields=["school"], condition=models.Q(is_active=True),
                                    name="one_active_liaison_per_school"),
        ]

    def __str__(self):
        return f"{self.leader} 包 {self.school}"
