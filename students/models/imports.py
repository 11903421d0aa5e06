"""Imports (SPEC §3 学籍导入, §4 学籍比对): one record per uploaded file, and the population list's entries.

The uploaded file is kept in private storage (never under MEDIA_URL) only between preview and confirm; after
commit, cancel or expiry the content is deleted and the record keeps its name, size and SHA-256.
"""
import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords

from kongchuo.models.jobs import PrivateJobStorage

from .core import ScopedQuerySet


@deconstructible
class PrivateImportStorage(PrivateJobStorage):
    """Files outside MEDIA_ROOT (settings.KONGCHUO_PRIVATE_ROOT, default var/private): no URL, read by the app only.
    The same root as the job files (kongchuo.models.jobs), so a staged upload is handed over without a copy."""

    def url(self, name):
        raise ValueError("导入文件不提供下载地址")


def _upload_path(instance, filename):
    suffix = os.path.splitext(filename)[1].lower()[:5]
    if suffix not in (".xlsx", ".xls"):
        suffix = ".bin"
    return f"imports/{instance._meta.model_name}/{uuid.uuid4().hex}{suffix}"


class ImportRecordBase(models.Model):
    class Status(models.TextChoices):
        PREVIEWED = "previewed", "待确认导入"
        COMMITTED = "committed", "已导入"
        CANCELLED = "cancelled", "已取消"
        REJECTED = "rejected", "有错误，未导入"
        FAILED = "failed", "文件无法导入"

    class Mode(models.TextChoices):
        ALL = "all", "整个文件（有错误则不导入）"
        VALID_ONLY = "valid_only", "仅导入有效行"

    class Source(models.TextChoices):
        WEB = "web", "网页上传"
        CLI = "cli", "命令行"

    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PREVIEWED, db_index=True)
    mode = models.CharField("导入方式", max_length=12, choices=Mode.choices, blank=True)
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.WEB)
    original_name = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", storage=PrivateImportStorage(), upload_to=_upload_path, max_length=200,
                            blank=True)
    file_size = models.PositiveIntegerField("文件大小（字节）", default=0)
    sha256 = models.CharField("文件 SHA-256", max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="上传人")
    created = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="确认导入人")
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    header_row = models.PositiveSmallIntegerField("表头所在行", null=True, blank=True)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    new_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("无变化", default=0)
    invalid_count = models.PositiveIntegerField("有错误", default=0)
    errors = models.JSONField("错误明细", default=list, blank=True,
                              help_text='[{"row": 5, "column": "出生日期", "value": "…", "message": "…"}]')
    warnings = models.JSONField("提示", default=list, blank=True)
    unknown_columns = models.JSONField("未识别的列", default=list, blank=True)
    details = models.JSONField("其他统计", default=dict, blank=True)
    message = models.TextField("说明", blank=True)

    class Meta:
        abstract = True

    @property
    def is_open(self):
        return self.status == self.Status.PREVIEWED

    @property
    def valid_count(self):
        return self.new_count + self.updated_count + self.unchanged_count

    @property
    def error_rows(self):
        return len({e["row"] for e in self.errors})


class ImportBatch(ImportRecordBase):
    """学籍导入记录: one national 学籍系统 export uploaded for one school."""

    school = models.ForeignKey("kongchuo.School", on_delete=models.PROTECT, related_name="import_batches",
                               verbose_name="学校")
    history = HistoricalRecords(excluded_fields=["errors", "warnings", "details"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学籍导入记录"
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["school", "-created"])]

    def __str__(self):
        return f"{self.school} {self.original_name}（{self.get_status_display()}）"


class PopulationList(ImportRecordBase):
    """适龄儿童名单 (学籍比对): a 村/社区 list of children aged 6–15, matched against enrolment of the whole area."""

    area = models.ForeignKey("kongchuo.Area", on_delete=models.PROTECT, related_name="population_lists",
                             verbose_name="管理区")
    subdistrict = models.ForeignKey("kongchuo.SubDistrict", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="population_lists", verbose_name="办事处")
    village = models.ForeignKey("kongchuo.Village", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="population_lists", verbose_name="村/社区",
                                help_text="空 = 名单含多个村/社区（按“村/社区”列区分）")
    reference_date = models.DateField("年龄计算日期", null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["errors", "warnings", "details"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "适龄儿童名单（学籍比对）"
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.village or self.subdistrict or self.area} {self.original_name}"

    @property
    def scope_label(self):
        return str(self.village or self.subdistrict or self.area)


class PopulationEntry(models.Model):
    """One child of a population list, with the match result and, when unmatched, the verification (核实)."""

    class Match(models.TextChoices):
        BY_ID = "by_id", "身份证号匹配在读"
        BY_NAME = "by_name", "姓名+出生日期匹配在读"
        OFF_ROLL = "off_roll", "有学籍记录但不在读"
        AMBIGUOUS = "ambiguous", "同名同出生日期多人"
        NONE = "none", "未匹配到学籍"

    class Kind(models.TextChoices):
        NONE = "", "—"
        NOT_ENROLLED = "not_enrolled", "疑似适龄未入学"
        DROPOUT = "dropout", "疑似失学"

    class Status(models.TextChoices):
        PENDING = "pending", "待核实"
        ENROLLED = "enrolled", "已入学"
        ELSEWHERE = "elsewhere", "已在外地就读"
        NOT_ENROLLED = "not_enrolled", "适龄未入学"
        DROPPED_OUT = "dropped_out", "确认失学"

    MATCHED = (Match.BY_ID, Match.BY_NAME)

    population_list = models.ForeignKey(PopulationList, on_delete=models.PROTECT, related_name="entries",
                                        verbose_name="最近一次名单")
    village = models.ForeignKey("kongchuo.Village", on_delete=models.PROTECT, related_name="population_entries",
                                verbose_name="村/社区")
    row_number = models.PositiveIntegerField("名单行号", default=0)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=[("M", "男"), ("F", "女")], blank=True)
    birth_date = models.DateField("出生日期")
    id_number = models.CharField("身份证件号", max_length=30, null=True, blank=True)
    guardian_name = models.CharField("监护人", max_length=50, blank=True)
    guardian_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("现住址", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    match = models.CharField("比对结果", max_length=12, choices=Match.choices, default=Match.NONE)
    matched_student = models.ForeignKey("students.Student", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="population_matches", verbose_name="匹配到的学生")
    matched_school_name = models.CharField("就读学校", max_length=100, blank=True)
    candidate_kind = models.CharField("疑似类别", max_length=14, choices=Kind.choices, blank=True, default="")
    status = models.CharField("核实状态", max_length=14, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="核实人")
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    verify_note = models.CharField("核实说明 / 证明", max_length=300, blank=True)
    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="population_confirmations", verbose_name="登记的学生记录")
    created = models.DateTimeField("首次登记", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "适龄儿童（学籍比对）"
        ordering = ["village", "status", "birth_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["village", "id_number"], condition=models.Q(id_number__isnull=False),
                                    name="population_entry_unique_id"),
        ]
        indexes = [models.Index(fields=["village", "status"]), models.Index(fields=["candidate_kind", "status"])]

    def __str__(self):
        return f"{self.village} {self.name}（{self.get_status_display()}）"

    @property
    def is_candidate(self):
        return bool(self.candidate_kind)
