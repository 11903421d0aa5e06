"""Organisation tree (SPEC §2): 管理区 → 教育办 / 办事处 → 村/社区; schools, years, terms, grades, classes."""
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

GRADE_NAMES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
               7: "七年级", 8: "八年级", 9: "九年级"}


class Area(models.Model):
    name = models.CharField("名称", max_length=100)
    code = models.CharField("行政区划代码", max_length=12, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "管理区"

    def __str__(self):
        return self.name


class EducationOffice(models.Model):
    area = models.OneToOneField(Area, on_delete=models.PROTECT, related_name="education_office", verbose_name="管理区")
    name = models.CharField("名称", max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "教育办"

    def __str__(self):
        return self.name


class SubDistrict(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="subdistricts", verbose_name="管理区")
    name = models.CharField("名称", max_length=100)
    code = models.CharField("代码", max_length=20, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "办事处"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Village(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", "村"
        COMMUNITY = "community", "社区"

    subdistrict = models.ForeignKey(SubDistrict, on_delete=models.PROTECT, related_name="villages", verbose_name="办事处")
    name = models.CharField("名称", max_length=100)
    code = models.CharField("代码", max_length=20, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "村/社区"
        ordering = ["code"]

    def __str__(self):
        return self.name


class School(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        NINE_YEAR = "nine_year", "九年一贯制"

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="schools", verbose_name="管理区")
    subdistrict = models.ForeignKey(SubDistrict, on_delete=models.PROTECT, related_name="schools",
                                    verbose_name="所在办事处", null=True, blank=True)
    code = models.CharField("学校标识码", max_length=10, unique=True)
    name = models.CharField("学校名称", max_length=100)
    short_name = models.CharField("简称", max_length=20, blank=True,
                                  help_text="用于通知书编号前缀，例如“土城小”")
    kind = models.CharField("学段", max_length=12, choices=Kind.choices)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    work_plan = models.FileField("控辍保学工作方案", upload_to="work_plans/%Y/", blank=True)
    work_plan_updated = models.DateField("工作方案更新日期", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "学校"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def grade_levels(self):
        return {self.Kind.PRIMARY: range(1, 7), self.Kind.JUNIOR: range(7, 10)}.get(self.kind, range(1, 10))


class SchoolYear(models.Model):
    name = models.CharField("学年", max_length=20, unique=True, help_text="例如 2026-2027")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    is_current = models.BooleanField("当前学年", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "学年"
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                    name="one_current_school_year"),
        ]

    def __str__(self):
        return f"{self.name}学年"

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": "结束日期必须晚于开始日期。"})


class Term(models.Model):
    """学期. Start and end dates are data; the vacation after the term (寒假/暑假) is stored with it."""

    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="terms", verbose_name="学年")
    number = models.PositiveSmallIntegerField("学期序号", choices=[(1, "第一学期"), (2, "第二学期")])
    start_date = models.DateField("开学日期")
    end_date = models.DateField("学期结束日期")
    vacation_name = models.CharField("假期名称", max_length=20, blank=True, help_text="寒假 / 暑假")
    vacation_start = models.DateField("假期开始", null=True, blank=True)
    vacation_end = models.DateField("假期结束", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "学期"
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["school_year", "number"], name="unique_term_number")]

    def __str__(self):
        return f"{self.school_year.name} {self.get_number_display()}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": "学期结束日期必须晚于开学日期。"})
        if self.vacation_start and self.vacation_end and self.vacation_end < self.vacation_start:
            raise ValidationError({"vacation_end": "假期结束日期不能早于开始日期。"})

    def previous(self):
        return Term.objects.filter(start_date__lt=self.start_date).order_by("-start_date").first()


class Grade(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="grades", verbose_name="学校")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="grades", verbose_name="学年")
    level = models.PositiveSmallIntegerField("年级", choices=sorted(GRADE_NAMES.items()))
    entry_year = models.PositiveSmallIntegerField("入学年份（届）", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "年级"
        ordering = ["school", "level"]
        constraints = [models.UniqueConstraint(fields=["school", "school_year", "level"], name="unique_grade")]

    def __str__(self):
        return f"{self.school.name} {self.get_level_display()}"

    @property
    def name(self):
        return self.get_level_display()


class SchoolClass(models.Model):
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="classes", verbose_name="年级")
    number = models.PositiveSmallIntegerField("班号")
    name = models.CharField("班级名称", max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "班级"
        ordering = ["grade__level", "number"]
        constraints = [models.UniqueConstraint(fields=["grade", "number"], name="unique_class_number")]

    def save(self, *args, **kwargs):
        if not self.name:
            self.name = f"{self.number}班"
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.grade.get_level_display()}{self.name}"

    @property
    def school(self):
        return self.grade.school


class LeadershipGroup(models.Model):
    """控辍保学领导小组: the area's (school empty) or a school's."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="leadership_groups", verbose_name="管理区")
    school = models.OneToOneField(School, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="leadership_group", verbose_name="学校")
    name = models.CharField("名称", max_length=100)
    document_number = models.CharField("成立文件文号", max_length=50, blank=True, help_text="例如 天梯政办〔2019〕30号")
    established = models.DateField("成立日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "控辍保学领导小组"
        constraints = [
            models.UniqueConstraint(fields=["area"], condition=models.Q(school__isnull=True),
                                    name="one_area_leadership_group"),
        ]

    def __str__(self):
        return self.name


class LeadershipMember(models.Model):
    class Position(models.TextChoices):
        LEADER = "leader", "组长"
        DEPUTY = "deputy", "副组长"
        MEMBER = "member", "成员"

    group = models.ForeignKey(LeadershipGroup, on_delete=models.CASCADE, related_name="members", verbose_name="领导小组")
    name = models.CharField("姓名", max_length=50)
    post = models.CharField("职务", max_length=100)
    position = models.CharField("小组职务", max_length=10, choices=Position.choices, default=Position.MEMBER)
    user = models.ForeignKey("kongchuo.User", on_delete=models.SET_NULL, null=True, blank=True, verbose_name="系统账号")
    order = models.PositiveSmallIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "领导小组成员"
        ordering = ["group", "order"]

    def __str__(self):
        return f"{self.get_position_display()} {self.name}（{self.post}）"
