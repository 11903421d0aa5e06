"""Writes of the import screens and commands (keyword-only, atomic, access-logged).

Flow: upload → preview (nothing saved but the ImportBatch record and the file in private storage) → commit
(all rows, or explicitly only the valid ones) or cancel. The file is deleted after commit/cancel, and previews left
open longer than STALE_AFTER are expired on the next upload.
"""
import hashlib
import os
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access, uploads
from kongchuo.audit import log_access
from kongchuo.models import AccessLog
from students.models import ImportBatch

from .national import NationalImport
from .reader import FileFormatError, SpreadsheetRefused

STALE_AFTER = timedelta(days=1)


def max_upload_bytes():
    return uploads.PURPOSES["spreadsheet"].max_bytes()


def check_upload(uploaded, *, field="file", label="Excel 文件"):
    """Refuse what is clearly not an Excel file of acceptable size, before anything is stored: the one upload layer
    (`kongchuo.uploads`, purpose "spreadsheet": extension, zip / OLE2 magic, size, empty). The reader then checks
    the workbook's own structure."""
    if uploaded is None:
        raise ValidationError({field: "请选择要上传的 Excel 文件。"})
    try:
        uploads.verify(uploaded, purpose="spreadsheet", label=label)
    except uploads.UploadRefused as exc:
        raise ValidationError({field: exc.message}) from None


def _digest(uploaded):
    sha = hashlib.sha256()
    for chunk in uploaded.chunks():
        sha.update(chunk)
    uploaded.seek(0)
    return sha.hexdigest()


def discard_file(record):
    """Delete the stored upload (the record keeps name, size and SHA-256)."""
    if record.file:
        name = record.file.name
        record.file.storage.delete(name)
        record.file = ""


def expire_stale(model):
    """Previews nobody confirmed within STALE_AFTER: cancel and delete their files."""
    cutoff = timezone.now() - STALE_AFTER
    for record in model.objects.filter(status=model.Status.PREVIEWED, created__lt=cutoff):
        discard_file(record)
        record.status = model.Status.CANCELLED
        record.message = "超过 24 小时未确认，已自动取消并删除上传的文件。"
        record.save()


def _stored_path(record):
    return record.file.storage.path(record.file.name)


def _actor_label(actor):
    return actor.get_username() if getattr(actor, "pk", None) else "命令行"


# ---------------------------------------------------------------------------------------------- 学籍导入
PREVIEW_JOB = "students.import_preview"
COMMIT_JOB = "students.import_commit"


def import_batch_start(*, actor, school, uploaded_file):
    """The web request's part of an upload: check it, stage the file privately and start the preview job
    (students/importing/jobs.py). Returns the Job; the preview itself runs on the worker."""
    from kongchuo.jobs.services import job_start

    if not access.can(actor, "student.import", school):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    check_upload(uploaded_file)
    name = uploads.display_name(uploaded_file.name)[:200]
    return job_start(actor=actor, kind=PREVIEW_JOB, label=f"学籍导入预览：{school.name}（{name}）",
                     params={"school": school.pk, "original_name": name, "needs_input": True},
                     input_file=uploaded_file)


def import_batch_commit_start(*, actor, batch, valid_only=False):
    """Start the commit job of a previewed batch (checked again, under a lock, when the job runs)."""
    from kongchuo.jobs.services import job_start

    if not access.can(actor, "student.import", batch):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    if batch.status != ImportBatch.Status.PREVIEWED or not batch.file:
        raise ValidationError(f"该文件已处理（{batch.get_status_display()}），不能再次导入；如需导入请重新上传。")
    mode = ImportBatch.Mode.VALID_ONLY if valid_only else ImportBatch.Mode.ALL
    return job_start(actor=actor, kind=COMMIT_JOB, label=f"学籍确认导入：第 {batch.pk} 批（{batch.original_name}）",
                     params={"batch": batch.pk, "valid_only": bool(valid_only), "mode_label": mode.label})


def _preview(batch, *, actor, school, engine=None, progress=None):
    batch._history_user = actor
    try:
        report = NationalImport(school=school, path=_stored_path(batch), actor=actor, engine=engine,
                                progress=progress).run()
    except SpreadsheetRefused as exc:
        discard_file(batch)  # beyond a safety limit: refused like a bad upload, nothing recorded
        raise ValidationError({"file": str(exc)}) from None
    except FileFormatError as exc:
        discard_file(batch)
        expire_stale(ImportBatch)
        batch.status, batch.message = ImportBatch.Status.FAILED, str(exc)
        batch.save()
        return batch
    expire_stale(ImportBatch)
    report.apply_to(batch)
    batch.save()
    return batch


@transaction.atomic
def import_batch_upload(*, actor, school, uploaded_file, engine=None):
    """Store the file privately, run the preview, return the ImportBatch (status 待确认导入 or 文件无法导入)."""
    if not access.can(actor, "student.import", school):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    check_upload(uploaded_file)
    batch = ImportBatch(school=school, uploaded_by=actor, original_name=uploads.display_name(uploaded_file.name)[:200],
                        file_size=uploaded_file.size, sha256=_digest(uploaded_file))
    batch.file.save(batch.original_name, uploaded_file, save=False)
    return _preview(batch, actor=actor, school=school, engine=engine)


@transaction.atomic
def import_batch_preview_staged(*, actor, school, stored_name, original_name, engine=None, progress=None):
    """The preview job's work: an ImportBatch for a file already staged in private storage (the job's upload).
    All in one transaction: a job killed mid-preview leaves no batch, and its retry makes exactly one."""
    if not access.can(actor, "student.import", school):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    storage = ImportBatch._meta.get_field("file").storage
    with storage.open(stored_name, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    batch = ImportBatch(school=school, uploaded_by=actor, original_name=original_name[:200],
                        file_size=storage.size(stored_name), sha256=sha)
    batch.file.name = stored_name
    return _preview(batch, actor=actor, school=school, engine=engine, progress=progress)


@transaction.atomic
def import_batch_commit(*, actor, batch, valid_only=False, engine=None, progress=None):
    """Import the previewed file. All rows (nothing saved if any is invalid) or, when asked, only the valid rows."""
    batch = ImportBatch.objects.select_for_update(of=("self",)).select_related("school").get(pk=batch.pk)
    if not access.can(actor, "student.import", batch):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    if batch.status != ImportBatch.Status.PREVIEWED or not batch.file:
        raise ValidationError(f"该文件已处理（{batch.get_status_display()}），不能再次导入；如需导入请重新上传。")
    mode = ImportBatch.Mode.VALID_ONLY if valid_only else ImportBatch.Mode.ALL
    batch._history_user = actor
    try:
        report = NationalImport(school=batch.school, path=_stored_path(batch), actor=actor, engine=engine,
                                reason=f"学籍导入（第 {batch.pk} 批，{batch.original_name}）"[:100],
                                progress=progress).run(commit=True, valid_only=valid_only)
    except FileFormatError as exc:
        raise ValidationError(str(exc)) from None
    report.apply_to(batch)
    if not report.committed:
        batch.message = (f"文件中有 {report.invalid} 行错误，按“整个文件”方式未导入任何数据。"
                         "请修改后重新上传，或选择“仅导入有效行”。")
        batch.save()
        return batch, report
    discard_file(batch)
    batch.status, batch.mode = ImportBatch.Status.COMMITTED, mode
    batch.committed_by, batch.committed_at = actor, timezone.now()
    batch.message = ""
    batch.save()
    log_access(user=actor, action=AccessLog.Action.IMPORT, obj=batch, scope=batch.school.name,
               purpose="学籍系统导入", detail=f"{batch.original_name}：{report.counts_line()}（{mode.label}）")
    return batch, report


@transaction.atomic
def import_batch_cancel(*, actor, batch):
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not access.can(actor, "student.import", batch):
        raise PermissionDenied("您没有权限为该学校导入学籍。")
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ValidationError(f"该文件已处理（{batch.get_status_display()}），不能取消。")
    discard_file(batch)
    batch.status = ImportBatch.Status.CANCELLED
    batch.message = "已取消，未导入任何数据，上传的文件已删除。"
    batch._history_user = actor
    batch.save()
    return batch


def import_from_path(*, path, school, actor=None, commit=False, valid_only=False, engine=None):
    """The command-line path: preview (nothing recorded) or commit (recorded as an ImportBatch from 命令行)."""
    if actor is not None and not access.can(actor, "student.import", school):
        raise PermissionDenied("该用户没有权限为该学校导入学籍。")
    name = os.path.basename(str(path))
    if not commit:
        return None, NationalImport(school=school, path=path, actor=actor, engine=engine).run()
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    with transaction.atomic():
        batch = ImportBatch.objects.create(school=school, uploaded_by=actor, original_name=name[:200],
                                           source=ImportBatch.Source.CLI, file_size=os.path.getsize(path), sha256=sha)
        report = NationalImport(school=school, path=path, actor=actor, engine=engine,
                                reason=f"学籍导入（第 {batch.pk} 批，命令行，{name}）"[:100]
                                ).run(commit=True, valid_only=valid_only)
        report.apply_to(batch)
        if report.committed:
            batch.status = ImportBatch.Status.COMMITTED
            batch.mode = ImportBatch.Mode.VALID_ONLY if valid_only else ImportBatch.Mode.ALL
            batch.committed_by, batch.committed_at = actor, timezone.now()
            log_access(user=actor, action=AccessLog.Action.IMPORT, obj=batch, scope=school.name,
                       purpose="学籍系统导入（命令行）", username=_actor_label(actor),
                       detail=f"{name}：{report.counts_line()}")
        else:
            batch.status = ImportBatch.Status.REJECTED
            batch.message = f"文件中有 {report.invalid} 行错误，未导入任何数据。"
        batch.save()
    return batch, report
