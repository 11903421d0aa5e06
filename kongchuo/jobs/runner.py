"""Runs one job on a worker (or inline with the immediate backend): start, progress, heartbeat, finish.

Progress and heartbeat are written by a helper thread on its own database connection (Django connections are
per thread), every KONGCHUO_JOB_PROGRESS_SECONDS: the work itself runs in one transaction on the worker's main
connection, and the polling page must see the progress before that transaction commits. The helper thread also
reads the cancel flag; the work sees it at its next progress() call.
"""
import datetime
import logging
import threading
import traceback

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from kongchuo import access
from kongchuo.models import Job

from . import transitions
from .registry import get_kind

logger = logging.getLogger(__name__)
S = Job.Status

GENERIC_ERROR = "任务执行时出现系统错误，未保存任何数据。可点击“重试”；如仍失败，请联系系统管理员（错误已记录）。"


class JobCancelled(Exception):
    """Raised by progress() once the user asked to cancel: the work's transaction rolls back."""


class JobAbandoned(Exception):
    """Raised by progress() when the job is no longer this attempt's (declared stale, then retried elsewhere)."""


class JobError(Exception):
    """A failure to show the user as it is (Chinese text)."""


def file_days():
    return int(getattr(settings, "KONGCHUO_JOB_FILE_DAYS", 7))


def stale_seconds():
    return float(getattr(settings, "KONGCHUO_JOB_STALE_SECONDS", 90))


def progress_seconds():
    return float(getattr(settings, "KONGCHUO_JOB_PROGRESS_SECONDS", 0.5))


class Progress:
    """The callback handed to a kind: `progress(done, total=None, message=None)`. Cheap: it records the values and
    the helper thread writes them. Raises JobCancelled / JobAbandoned as soon as the helper thread saw either."""

    def __init__(self, job, attempt):
        self.job_id, self.attempt = job.pk, attempt
        self.done, self.total, self.message = 0, job.total, ""
        self.cancelled = self.abandoned = False
        self.dirty = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = None

    # ---- the work's side
    def __call__(self, done, total=None, message=None):
        with self._lock:
            self.done = max(0, int(done))
            if total is not None:
                self.total = max(0, int(total))
            if message is not None:
                self.message = str(message)[:500]
            self.dirty = True
        if self.abandoned:
            raise JobAbandoned()
        if self.cancelled:
            raise JobCancelled()

    # ---- the helper thread
    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"kc-job-{self.job_id}", daemon=True)
        self._thread.start()
        self._first.wait(timeout=5)  # the heartbeat is written and the cancel flag read before the work starts
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self):
        interval = max(0.05, min(progress_seconds(), stale_seconds() / 4))
        try:
            while True:
                self.write()
                self._first.set()
                if self._stop.wait(interval):
                    return
        finally:
            self._first.set()
            connection.close()  # this thread's own connection

    def write(self):
        """One UPDATE on this thread's connection (autocommit): progress, heartbeat; read the cancel flag."""
        with self._lock:
            values = {"heartbeat": timezone.now()}
            if self.dirty:
                values.update(done=self.done, total=self.total)
                if self.message:
                    values["message"] = self.message
                self.dirty = False
        try:
            qs = Job.objects.filter(pk=self.job_id, attempts=self.attempt, status=S.RUNNING)
            if qs.update(**values):
                self.cancelled = qs.filter(cancel_requested=True).exists() or self.cancelled
            else:
                # Not visible (the immediate backend inside an open transaction: nobody polls that) or no longer ours.
                row = Job.objects.filter(pk=self.job_id).values("status", "attempts").first()
                if row is not None and (row["status"] != S.RUNNING or row["attempts"] != self.attempt):
                    self.abandoned = True
        except OperationalError:  # SQLite: the work holds the write lock; the values are written next time
            self.dirty = True
            logger.debug("job %s: progress not written (database busy)", self.job_id)


def _fail(job, attempt, message, detail=""):
    transitions.move(job, S.FAILED, expected=S.RUNNING, attempt=attempt, message=message, error_detail=detail,
                     finished=timezone.now())


def _messages_of(exc):
    if hasattr(exc, "message_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def execute(job_id):
    """Run job `job_id` once. Returns the final status (or "skipped" when it was not this worker's to run)."""
    job = Job.objects.select_related("requester").filter(pk=job_id).first()
    if job is None or job.status != S.QUEUED:
        return "skipped"
    attempt = job.attempts + 1
    now = timezone.now()
    if not transitions.move(job, S.RUNNING, expected=S.QUEUED, started=now, heartbeat=now, attempts=attempt,
                            finished=None, done=0, message="正在处理…", error_detail=""):
        return "skipped"  # another worker, or a cancel, got there first
    kind = get_kind(job.kind)
    if kind is None:
        _fail(job, attempt, "系统不认识这种任务（程序版本可能已更新）：请重新发起。", f"unknown kind {job.kind}")
        return job.status
    if not access.job_scope_ok(job.requester, job):
        _fail(job, attempt, "您发起任务时的角色已被取消或变更，任务未执行。")
        return job.status

    progress = Progress(job, attempt).start()
    stored = None
    try:
        with transaction.atomic():
            outcome = kind.run(job=job, progress=progress)
            fields = {"finished": timezone.now(), "message": outcome.message or "已完成。",
                      "done": progress.total if progress.total is not None else progress.done,
                      "total": progress.total, "expires": timezone.now() + datetime.timedelta(days=file_days())}
            fields["result"] = dict(outcome.result, level=outcome.level)
            if outcome.file_content is not None:
                stored = job.result_file.storage.save(
                    job.result_file.field.generate_filename(job, outcome.file_name or "result.bin"),
                    ContentFile(outcome.file_content))
                fields.update(result_file=stored, result_name=(outcome.file_name or "result.bin")[:200])
            input_name = job.input_file.name
            if input_name:
                fields["input_file"] = ""
            # the work commits only together with this attempt's 已完成: a job declared stale meanwhile keeps nothing
            if not transitions.move(job, S.DONE, expected=S.RUNNING, attempt=attempt, **fields):
                raise JobAbandoned()
        if input_name and not outcome.input_taken:
            job.input_file.storage.delete(input_name)
    except JobCancelled:
        _cleanup(stored)
        if transitions.move(job, S.CANCELLED, expected=S.RUNNING, attempt=attempt, finished=timezone.now(),
                            message="已取消，未保存任何数据。"):
            _delete_input(job)
    except JobAbandoned:
        _cleanup(stored)
        logger.warning("job %s attempt %s was declared stale meanwhile; its work was rolled back", job.pk, attempt)
        return "abandoned"
    except JobError as exc:
        _cleanup(stored)
        _fail(job, attempt, str(exc))
    except ValidationError as exc:
        _cleanup(stored)
        _fail(job, attempt, _messages_of(exc))
    except PermissionDenied as exc:
        _cleanup(stored)
        _fail(job, attempt, str(exc) or "您没有权限执行该任务。")
    except Exception as exc:  # noqa: BLE001 - the job shows a Chinese message; the traceback is for the admin
        _cleanup(stored)
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(job, attempt, GENERIC_ERROR, "".join(traceback.format_exception(exc))[-8000:])
    finally:
        progress.stop()
    return job.status


def _cleanup(stored):
    if stored:
        Job._meta.get_field("result_file").storage.delete(stored)


def _delete_input(job):
    if job.input_file.name:
        job.input_file.storage.delete(job.input_file.name)
        Job.objects.filter(pk=job.pk).update(input_file="")
        job.input_file = ""
