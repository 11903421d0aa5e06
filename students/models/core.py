"""Student registry (SPEC §3). Core models; the registry issue extends them."""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class ScopedQuerySet(models.QuerySet):
    """`Model.objects.visible_to(user)` — delegates to kongchuo.access, the one place scope is decided."""

    def visible_to(self, user):
        from kongchuo import access

        return access.filter_visible(self, user)


# Fields the search columns (name_pinyin, name_initials, id_last4) are derived from.
SEARCH_SOURCE_FIELDS = {"name", "id_number"}


class StudentQuerySet(ScopedQuerySet):
    """Keeps the search columns filled on the bulk paths that skip save() (PITFALLS: pypinyin)."""

    def bulk_create(self, objs, *args, **kwargs):
        from students.pinyin import fill

        objs = list(objs)
        for obj in objs:
            fill(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        from students.pinyin import SEARCH_FIELDS, fill

        objs, fields = list(objs), list(fields)
        if SEARCH_SOURCE_FIELDS & set(fields):
            for obj in objs:
                fill(obj)
            fields += [f for f in SEARCH_FIELDS if f not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        from students.pinyin import SEARCH_FIELDS

        if SEARCH_SOURCE_FIELDS & set(kwargs) and not set(SEARCH_FIELDS) <= set(kwargs):
            raise TypeError("姓名或身份证件号不能用 QuerySet.update() 修改：请逐条 save() 或用 bulk_update()，"
                            "以便同时更新拼音检索字段。")
        return super().update(**kwargs)

    def active(self):
        """Students on a roster now (在读 or 休学, who keep their place)."""
        return self.filter(status__in=Student.ON_ROLL_STATUSES)


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
    name_pinyin = models.CharField("姓名全拼", max_length=200, blank=True, editable=False)
    name_initials = models.CharField("姓名首字母", max_length=50, blank=True, editable=False)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    id_type = models.CharField("身份证件类型", max_length=2, choices=IdType.choices, default=IdType.RESIDENT)
    # id_number and student_number are unique through one varchar_pattern_ops index each (Meta.constraints): it
    # serves uniqueness, equality and the search box's prefix LIKE — unique=True would build two indexes.
    id_number = models.CharField("身份证件号", max_length=30, null=True, blank=True)
    id_last4 = models.CharField("证件号后四位", max_length=4, blank=True, editable=False)
    student_number = models.CharField("学籍号", max_length=30, null=True, blank=True)
    phone = models.CharField("家庭联系电话", max_length=30, blank=True)
    hukou_address = models.CharField("户籍地", max_length=200, blank=True)
    address = models.CharField("现住址", max_length=200, blank=True)
    # school, school_class and village lead composite indexes in Meta (school: student_roster_order), which serve
    # their lookups too: no single-column index of their own (each index costs every imported row; README 学籍导入).
    village = models.ForeignKey("kongchuo.Village", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="residents", verbose_name="现住村/社区", db_index=False)
    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="students", verbose_name="学校", db_index=False)
    grade = models.ForeignKey("kongchuo.Grade", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="students", verbose_name="年级")
    school_class = models.ForeignKey("kongchuo.SchoolClass", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="students", verbose_name="班级", db_index=False)
    status = models.CharField("学籍状态", max_length=20, choices=Status.choices, default=Status.ENROLLED)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)
    # History is looked up by the student (id) and by date; its copies of the registry's indexed columns are not
    # searched, so they get no index of their own.
    # On the four tables an import writes in bulk (students, family, enrolments, flags) history_user is not a
    # database foreign key (user_db_constraint=False): a 50,000-student import would check the same user ~210,000
    # times (0.6 s). The value is always the acting user; Django still applies on_delete if a user is deleted.
    history = HistoricalRecords(no_db_index=["id_number", "student_number", "status", "school", "grade",
                                             "school_class", "village"], user_db_constraint=False)

    objects = StudentQuerySet.as_manager()

    ON_ROLL_STATUSES = (Status.ENROLLED, Status.SUSPENDED, Status.TRANSFER_PENDING)

    class Meta:
        verbose_name = verbose_name_plural = "学生"
        ordering = ["school", "grade__level", "school_class__number", "name_pinyin"]
        indexes = [
            # Statuses other than 在读 across the area (辍学, 休学… ledgers); 在读 rows — nearly all, and every
            # imported row — are found through the school and class indexes, so this index leaves them out.
            models.Index(fields=["status"], name="student_status", condition=~models.Q(status="enrolled")),
            models.Index(fields=["school_class", "status"]),
            models.Index(fields=["village", "status"]),
            models.Index(fields=["school", "school_class", "name_pinyin"], name="student_roster_order"),
            # Search (one box): every branch is a left-anchored LIKE 'q%' or an equality, so a btree with
            # varchar_pattern_ops serves it on PostgreSQL whatever the database collation, for any query length
            # (1–2 character queries such as 曾 or zb, which pg_trgm cannot index). id_number and student_number
            # are served by their unique constraints below (varchar_pattern_ops).
            models.Index(fields=["name"], name="student_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["former_name"], name="student_former_prefix", opclasses=["varchar_pattern_ops"],
                         condition=~models.Q(former_name="")),  # most have none; search adds the same condition
            models.Index(fields=["name_pinyin"], name="student_pinyin_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_initials"], name="student_initials_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["id_last4"], name="student_id_last4"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], name="student_id_number_unique",
                                    opclasses=["varchar_pattern_ops"],
                                    violation_error_message="该身份证件号已登记在本区另一名学生名下。"),
            models.UniqueConstraint(fields=["student_number"], name="student_number_unique",
                                    opclasses=["varchar_pattern_ops"],
                                    violation_error_message="该学籍号已登记在本区另一名学生名下。"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from students.pinyin import SEARCH_FIELDS, fill

        fill(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCH_SOURCE_FIELDS & set(update_fields):
            kwargs["update_fields"] = set(update_fields) | set(SEARCH_FIELDS)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("学生记录不能删除：学生离开学籍须办理学籍异动（转出、休学、辍学、死亡、毕业等）。")

    @property
    def is_on_roll(self):
        return self.status in self.ON_ROLL_STATUSES


class FamilyMember(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="family_members",
                                verbose_name="学生")
    name = models.CharField("姓名", max_length=50)
    RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄弟姐妹", "叔伯姑舅姨", "其他亲属", "其他")

    relation = models.CharField("关系", max_length=20)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    id_type = models.CharField("身份证件类型", max_length=2, choices=Student.IdType.choices,
                               default=Student.IdType.RESIDENT)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)  # indexed in Meta (equality only)
    is_guardian = models.BooleanField("是否监护人", default=False)
    works_away = models.BooleanField("外出务工", default=False)
    works_away_place = models.CharField("务工地", max_length=100, blank=True)
    is_disabled = models.BooleanField("残疾", default=False)
    address = models.CharField("现住址", max_length=200, blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    # found by member (id) and by student; history_user: see Student.history
    history = HistoricalRecords(no_db_index=["id_number"], user_db_constraint=False)

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员"
        ordering = ["student", "-is_guardian", "id"]
        indexes = [models.Index(fields=["name", "phone"], name="family_name_phone"),
                   models.Index(fields=["id_number"], name="family_id_number")]

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
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="指定人")
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
