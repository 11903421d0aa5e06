"""后台任务 (the job layer): one Job row per request of long work, whatever task backend runs it.

The row is ours, not the task backend's: it carries what the user sees (status, progress, a Chinese message, the
result file) and what we check (the requester and the role assignments it ran under). The backend only carries
"run job N" (kongchuo/jobs/tasks.py). See kongchuo/jobs/__init__.py for the flow.
"""
import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible
class PrivateJobStorage(FileSystemStorage):
    """Job files (uploads waiting for their job, results) outside MEDIA_ROOT: no URL, served by the job view only.

    Same root as the import files (settings.KONGCHUO_PRIVATE_ROOT, default var/private), so a staged upload can be
    handed to an import record without a copy.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return getattr(settings, "KONGCHUO_PRIVATE_ROOT", None) or os.path.join(settings.VAR_DIR, "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @cached_property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("任务文件不提供下载地址")


def _job_file_path(instance, filename):
    suffix = os.path.splitext(filename)[1].lower()[:5]
    if not suffix[1:].isalnum():
        suffix = ".bin"
    return f"jobs/{uuid.uuid4().hex}{suffix}"


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField("任务类型", max_length=40, db_index=True)
    label = models.CharField("任务", max_length=200)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs",
                                  verbose_name="发起人")
    action = models.CharField("权限", max_length=40)
    scope = models.JSONField("发起时的角色范围", default=list, blank=True,
                             help_text='[{"id": 12, "role": "school_admin", "label": "学校管理员·第一小学"}]')
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", null=True, blank=True)
    message = models.TextField("说明", blank=True)
    error_detail = models.TextField("错误详情（系统管理员诊断用）", blank=True)
    cancel_requested = models.BooleanField("已请求取消", default=False)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    task_id = models.CharField("后台任务编号", max_length=64, blank=True)
    input_file = models.FileField("待处理文件", storage=PrivateJobStorage(), upload_to=_job_file_path, max_length=200,
                                  blank=True)
    result_file = models.FileField("结果文件", storage=PrivateJobStorage(), upload_to=_job_file_path,
                                   max_length=200, blank=True)
    result_name = models.CharField("结果文件名", max_length=200, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    created = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    started = models.DateTimeField("开始时间", null=True, blank=True)
    finished = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat = models.DateTimeField("最近心跳", null=True, blank=True)
    expires = models.DateTimeField("文件保留至", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["requester", "status"]), models.Index(fields=["status", "heartbeat"])]

    def __str__(self):
        return f"{self.label}（{self.get_status_display()}）"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))
