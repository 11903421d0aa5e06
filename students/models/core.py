"""Student registry (SPEC §3). Core models; the registry issue extends them."""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class ScopedQuerySet(models.QuerySet):
    """`Model.objects.visible_to(user)` — delegates to kongchuo.access, the one place scope is decided."""

    def visible_to(self, user):
        from kongchuo import access

        return access.filter_visible(self, user)


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class IdType(models.TextChoices):
        RESIDENT = "1", "居民身份证"
        HK_MACAO = "2", "港澳居民来往内地通行证"
        TAIWAN = "3", "台湾居民来往大陆通行证"
        PASSPORT = "4", "护照"
        OTHER = "Z", "其他"

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "在读"
        SUSPENDED = "suspended", "休学"
        TRANSFER_PENDING = "transfer_pending", "转出待确认"
        TRANSFERRED = "transferred", "已转出"
        DROPPED_OUT = "dropped_out", "辍学"
        GRADUATED = "graduated", "毕业"
        DECEASED = "deceased", "死亡"
        NOT_ENROLLED = "not_enrolled", "未入学"

    name = models.CharField("姓名", max_length=50)
    former_name = models.CharField("曾用名", max_length=50, blank=True)
    name_pinyin = models.CharField("姓名全拼", max_length=200, blank=True, db_index=True)
    name_initials = models.CharField("姓名首字母", max_length=50, blank=True, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    id_type = models.CharField("身份证件类型", max_length=2, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = models.CharField("身份证件号", max_length=30, null=True, blank=True, unique=True)
    student_number = models.CharField("学籍号", max_length=30, null=True, blank=True, unique=True)
    hukou_address = models.CharField("户籍地", max_length=200, blank=True)
    address = models.CharField("现住址", max_length=200, blank=True)
    village = models.ForeignKey("kongchuo.Village", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="residents", verbose_name="现住村/社区")
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="students", verbose_name="学校")
    grade = models.ForeignKey("kongchuo.Grade", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="students", verbose_name="年级")
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="students", verbose_name="班级")
    status = models.CharField("学籍状态", max_length=20, choices=Status.choices, default=Status.ENROLLED,
                              db_index=True)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学生"
        ordering = ["school", "grade__level", "school_class__number", "name_pinyin"]
        indexes = [
            models.Index(fields=["school", "status"]),
            models.Index(fields=["school_class", "status"]),
            models.Index(fields=["village", "status"]),
        ]

    def __str__(self):
        return self.name


class FamilyMember(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="family_members",
                                verbose_name="学生")
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("关系", max_length=20)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    id_number = models.CharField("身份证件号", max_length=30, blank=True, db_index=True)
    is_guardian = models.BooleanField("是否监护人", default=False)
    works_away = models.BooleanField("外出务工", default=False)
    works_away_place = models.CharField("务工地", max_length=100, blank=True)
    is_disabled = models.BooleanField("残疾", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员"
        ordering = ["student", "-is_guardian", "id"]

    def __str__(self):
        return f"{self.name}（{self.relation}）"


class CareAssignment(models.Model):
    """包保: a 科任教师 responsible for one student. The teacher role's scope is these rows."""

    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_assignments",
                                verbose_name="包保教师")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="care_assignments",
                                verbose_name="学生")
    is_active = models.BooleanField("有效", default=True)
    start_date = models.DateField("开始日期", auto_now_add=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "包保关系（教师包人）"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "student"], condition=models.Q(is_active=True),
                                    name="one_active_care_assignment"),
        ]
        indexes = [models.Index(fields=["teacher", "is_active"])]

    def __str__(self):
        return f"{self.teacher} 包保 {self.student}"
