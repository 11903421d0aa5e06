"""Writes of the job layer: start, cancel, retry, the stale-heartbeat check and the file clean-up."""
import datetime
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access
from kongchuo.models import Job

from . import transitions
from .registry import get_kind
from .runner import file_days, stale_seconds

S = Job.Status

STALE_MESSAGE = ("处理该任务的后台进程已中断（可能被重启或终止），任务未完成，未保存任何数据。"
                 "可点击“重试”重新执行。")


def _backend_commits_with_us(backend):
    """The database backend's queue row commits with our transaction; the immediate backend runs at once."""
    from django_tasks.backends.immediate import ImmediateBackend
    from django_tasks_db import DatabaseBackend

    return isinstance(backend, (DatabaseBackend, ImmediateBackend))


def _enqueue(job):
    from .tasks import run_job

    def send():
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    if _backend_commits_with_us(run_job.get_backend()):
        send()
    else:  # a queue outside the database (Redis…): a worker must not look for the row before it is committed
        transaction.on_commit(send)


@transaction.atomic
def job_start(*, actor, kind, params=None, label="", input_file=None):
    """Record a job for `actor` and enqueue it. `input_file` (an upload) is kept in private storage for the job."""
    spec = get_kind(kind)
    if spec is None:
        raise LookupError(f"unknown job kind {kind}")
    scope = access.job_scope_for(actor, spec.action)
    if not scope:
        raise PermissionDenied("您没有权限发起该任务。")
    job = Job(kind=kind, label=(label or spec.label)[:200], requester=actor, action=spec.action,
              scope=[{"id": a.pk, "role": a.role, "label": f"{a.get_role_display()}·{a.scope_object}"} for a in scope],
              params=params or {}, message="等待后台处理…",
              expires=timezone.now() + datetime.timedelta(days=file_days()))
    if input_file is not None:
        job.input_file.save(os.path.basename(input_file.name or "upload.bin"), input_file, save=False)
    job.save()
    _enqueue(job)
    job.refresh_from_db()
    return job


def _own(actor, job):
    if job.requester_id != actor.pk:
        raise PermissionDenied("只有任务发起人可以操作该任务。")


@transaction.atomic
def job_cancel(*, actor, job):
    _own(actor, job)
    if transitions.move(job, S.CANCELLED, expected=S.QUEUED, finished=timezone.now(), message="已取消，未执行。"):
        if job.input_file.name:
            job.input_file.storage.delete(job.input_file.name)
            Job.objects.filter(pk=job.pk).update(input_file="")
        return job
    changed = Job.objects.filter(pk=job.pk, status=S.RUNNING).update(cancel_requested=True)
    if not changed:
        job.refresh_from_db()
        raise ValidationError(f"任务已{job.get_status_display()}，不能取消。")
    job.refresh_from_db()
    return job


@transaction.atomic
def job_retry(*, actor, job):
    """重试: the same job row runs again (a new attempt); the work is all-or-nothing, so nothing is duplicated."""
    _own(actor, job)
    spec = get_kind(job.kind)
    if spec is None or not spec.retryable:
        raise ValidationError("该任务不能重试，请重新发起。")
    if not access.job_scope_ok(actor, job):
        raise PermissionDenied("您发起任务时的角色已被取消或变更，不能重试。")
    if job.params.get("needs_input") and not job.input_file.name:
        raise ValidationError("上传的文件已过保留期被删除，不能重试：请重新上传。")
    if not transitions.move(job, S.QUEUED, expected=S.FAILED, cancel_requested=False, done=0, finished=None,
                            message="等待后台处理（重试）…", error_detail="", result={},
                            expires=timezone.now() + datetime.timedelta(days=file_days())):
        job.refresh_from_db()
        raise ValidationError(f"任务{job.get_status_display()}，不能重试。")
    _enqueue(job)
    job.refresh_from_db()
    return job


def job_mark_if_stale(job, *, now=None):
    """进行中 with a heartbeat older than KONGCHUO_JOB_STALE_SECONDS → 失败 (the worker died). Returns bool."""
    now = now or timezone.now()
    if job.status != S.RUNNING or job.heartbeat is None:
        return False
    if job.heartbeat >= now - datetime.timedelta(seconds=stale_seconds()):
        return False
    return transitions.move(job, S.FAILED, expected=S.RUNNING, attempt=job.attempts, message=STALE_MESSAGE,
                            finished=now, error_detail=f"最近心跳 {job.heartbeat.isoformat()}，检查时间 {now.isoformat()}")


def jobs_check_stale(*, now):
    """Deadline check (run_deadlines): every job whose worker stopped answering becomes 失败, retryable."""
    cutoff = now - datetime.timedelta(seconds=stale_seconds())
    lines = []
    for job in Job.objects.filter(status=S.RUNNING, heartbeat__lt=cutoff):
        if job_mark_if_stale(job, now=now):
            lines.append(f"后台任务 {job.pk}（{job.label}）心跳超时，已标记为失败。")
    return lines


def jobs_purge_files(*, now):
    """Deadline check: job files (results, staged uploads) are deleted KONGCHUO_JOB_FILE_DAYS after the job."""
    lines = []
    qs = (Job.objects.filter(expires__lt=now).exclude(status__in=Job.ACTIVE)
          .exclude(result_file="", input_file=""))
    for job in qs:
        for field in ("result_file", "input_file"):
            f = getattr(job, field)
            if f.name:
                f.storage.delete(f.name)
        Job.objects.filter(pk=job.pk).update(result_file="", input_file="")
        lines.append(f"后台任务 {job.pk}（{job.label}）的文件已过保留期，已删除。")
    return lines
