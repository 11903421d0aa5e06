"""Writes of the staff import screens and command: upload → preview → commit (all rows, or only the valid ones)
or cancel — the 学籍 import's flow and helpers (students.importing.services: upload checks, private storage,
SHA-256, expiry of stale previews)."""
import datetime
import hashlib
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access, uploads
from kongchuo.audit import log_access
from kongchuo.models import AccessLog
from staff.importing import StaffImport as Runner
from staff.models import StaffImport
from students.importing.reader import FileFormatError
from students.importing.services import _digest, _stored_path, check_upload, discard_file, expire_stale


def _check(actor, area, school):
    if actor is None:
        return
    if school is not None:
        if not access.can(actor, "staff.import") or not access.managed_schools(actor).filter(pk=school.pk).exists():
            raise PermissionDenied("您没有权限导入该校的教职工名单。")
    elif not access.managed_areas(actor).filter(pk=area.pk).exists():
        raise PermissionDenied("只有教育办可以导入全区的教职工名单；学校管理员请选择本校。")


STAFF_PREVIEW_JOB = "staff.import_preview"
STAFF_COMMIT_JOB = "staff.import_commit"
ORG_PREVIEW_JOB = "staff.org_import_preview"
ORG_COMMIT_JOB = "staff.org_import_commit"


def _staff_preview(record, *, actor, area, school):
    record._history_user = actor
    try:
        report = Runner(area=area, school=school, path=_stored_path(record), actor=actor).run()
    except FileFormatError as exc:
        discard_file(record)
        record.status, record.message = StaffImport.Status.FAILED, str(exc)
        record.save()
        return record
    report.apply_to(record)
    record.save()
    return record


@transaction.atomic
def staff_import_upload(*, actor, area, school=None, uploaded_file):
    """Preview inside the caller (tests, scripts): store the file, check every row, return the StaffImport."""
    _check(actor, area, school)
    check_upload(uploaded_file)
    expire_stale(StaffImport)
    record = StaffImport(area=area, school=school, uploaded_by=actor,
                         original_name=os.path.basename(uploaded_file.name)[:200], file_size=uploaded_file.size,
                         sha256=_digest(uploaded_file))
    record.file.save(record.original_name, uploaded_file, save=False)
    return _staff_preview(record, actor=actor, area=area, school=school)


def staff_import_start(*, actor, area, school=None, uploaded_file):
    """The web request's part of an upload: check it, stage the file privately and start the preview job
    (staff/jobs.py). Returns the Job; the preview itself runs on the worker."""
    from kongchuo.jobs.services import job_start

    _check(actor, area, school)
    check_upload(uploaded_file)
    name = uploads.display_name(uploaded_file.name)[:200]
    return job_start(actor=actor, kind=STAFF_PREVIEW_JOB, label=f"教职工名单导入预览：{school or area}（{name}）",
                     params={"area": area.pk, "school": school.pk if school else None, "original_name": name,
                             "needs_input": True},
                     input_file=uploaded_file)


def _staged(model, stored_name):
    storage = model._meta.get_field("file").storage
    with storage.open(stored_name, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    return storage.size(stored_name), sha


@transaction.atomic
def staff_import_preview_staged(*, actor, area, school, stored_name, original_name):
    """The preview job's work on a file already staged by the job: one transaction, so a killed job leaves no
    record and its retry makes exactly one."""
    _check(actor, area, school)
    expire_stale(StaffImport)
    size, sha = _staged(StaffImport, stored_name)
    record = StaffImport(area=area, school=school, uploaded_by=actor, original_name=original_name[:200],
                         file_size=size, sha256=sha)
    record.file.name = stored_name
    return _staff_preview(record, actor=actor, area=area, school=school)


def staff_import_commit_start(*, actor, record, valid_only=False):
    """Start the commit job of a previewed list (checked again, under a lock, when the job runs)."""
    from kongchuo.jobs.services import job_start

    _check(actor, record.area, record.school)
    if record.status != StaffImport.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    return job_start(actor=actor, kind=STAFF_COMMIT_JOB,
                     label=f"教职工名单确认导入：{record.school or record.area}（{record.original_name}）",
                     params={"record": record.pk, "valid_only": bool(valid_only)})


@transaction.atomic
def staff_import_commit(*, actor, record, valid_only=False):
    """Returns (record, report, credentials): credentials are the new accounts' one-time passwords, never stored."""
    record = StaffImport.objects.select_for_update(of=("self",)).select_related("area", "school").get(pk=record.pk)
    _check(actor, record.area, record.school)
    if record.status != StaffImport.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    record._history_user = actor
    runner = Runner(area=record.area, school=record.school, path=_stored_path(record), actor=actor)
    try:
        report = runner.run(commit=True, valid_only=valid_only)
    except FileFormatError as exc:
        raise ValidationError(str(exc)) from None
    report.apply_to(record)
    if not report.committed:
        record.message = (f"名单中有 {report.invalid} 行错误，按“整个文件”方式未导入任何数据。"
                          "请修改后重新上传，或选择“仅导入有效行”。")
        record.save()
        return record, report, []
    discard_file(record)
    record.status = StaffImport.Status.COMMITTED
    record.mode = StaffImport.Mode.VALID_ONLY if valid_only else StaffImport.Mode.ALL
    record.committed_by, record.committed_at, record.message = actor, timezone.now(), ""
    record.save()
    log_access(user=actor, action=AccessLog.Action.IMPORT, obj=record, scope=str(record.school or record.area),
               purpose="教职工名单导入", detail=f"{record.original_name}：{report.counts_line()}")
    return record, report, runner.credentials


@transaction.atomic
def staff_import_cancel(*, actor, record):
    record = StaffImport.objects.select_for_update().get(pk=record.pk)
    _check(actor, record.area, record.school)
    if record.status != StaffImport.Status.PREVIEWED:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能取消。")
    discard_file(record)
    record.status, record.message = StaffImport.Status.CANCELLED, "已取消，未导入任何数据，上传的文件已删除。"
    record._history_user = actor
    record.save()
    return record


def staff_import_from_path(*, path, area, school=None, actor=None, commit=False, valid_only=False, engine=None):
    """The command line: preview (nothing recorded) or commit (recorded as a StaffImport from 命令行).
    Returns (record or None, report, credentials)."""
    _check(actor, area, school)
    if not commit:
        return None, Runner(area=area, school=school, path=path, actor=actor, engine=engine).run(), []
    name = os.path.basename(str(path))
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    with transaction.atomic():
        record = StaffImport.objects.create(area=area, school=school, uploaded_by=actor, original_name=name[:200],
                                            source=StaffImport.Source.CLI, file_size=os.path.getsize(path),
                                            sha256=sha)
        runner = Runner(area=area, school=school, path=path, actor=actor, engine=engine)
        report = runner.run(commit=True, valid_only=valid_only)
        report.apply_to(record)
        if report.committed:
            record.status = StaffImport.Status.COMMITTED
            record.mode = StaffImport.Mode.VALID_ONLY if valid_only else StaffImport.Mode.ALL
            record.committed_by, record.committed_at = actor, timezone.now()
            log_access(user=actor, action=AccessLog.Action.IMPORT, obj=record, scope=str(school or area),
                       purpose="教职工名单导入（命令行）", username=actor.get_username() if actor else "命令行",
                       detail=f"{name}：{report.counts_line()}")
        else:
            record.status = StaffImport.Status.REJECTED
            record.message = f"名单中有 {report.invalid} 行错误，未导入任何数据。"
        record.save()
    return record, report, runner.credentials


# ---------------------------------------------------------------- 学校名录 / 村（社区）名录
def _check_org(actor, area):
    if actor is not None and not access.org_import_areas(actor).filter(pk=area.pk).exists():
        raise PermissionDenied("只有本管理区的系统管理员或教育办可以导入学校/村名录。")


def _org_preview(record, *, actor):
    from staff.models import OrgImport
    from staff.org_import import OrgImport as OrgRunner

    record._history_user = actor
    try:
        report = OrgRunner(kind=record.kind, area=record.area, path=_stored_path(record)).run()
    except FileFormatError as exc:
        discard_file(record)
        record.status, record.message = OrgImport.Status.FAILED, str(exc)
        record.save()
        return record
    report.apply_to(record)
    record.save()
    return record


def _check_org_kind(kind):
    from staff.models import OrgImport

    if kind not in OrgImport.Kind.values:
        raise ValidationError({"kind": "请选择导入学校名录还是村（社区）名录。"})


@transaction.atomic
def org_import_upload(*, actor, area, kind, uploaded_file):
    """Preview inside the caller (tests, scripts): store the file, check every row, return the OrgImport."""
    from staff.models import OrgImport

    _check_org(actor, area)
    _check_org_kind(kind)
    check_upload(uploaded_file)
    expire_stale(OrgImport)
    record = OrgImport(area=area, kind=kind, uploaded_by=actor, file_size=uploaded_file.size,
                       original_name=os.path.basename(uploaded_file.name)[:200], sha256=_digest(uploaded_file))
    record.file.save(record.original_name, uploaded_file, save=False)
    return _org_preview(record, actor=actor)


def org_import_start(*, actor, area, kind, uploaded_file):
    """The web request's part of a 学校名录 / 村（社区）名录 upload: checks, staging, the preview job."""
    from kongchuo.jobs.services import job_start
    from staff.models import OrgImport

    _check_org(actor, area)
    _check_org_kind(kind)
    check_upload(uploaded_file)
    name = uploads.display_name(uploaded_file.name)[:200]
    return job_start(actor=actor, kind=ORG_PREVIEW_JOB,
                     label=f"{OrgImport.Kind(kind).label}导入预览：{area}（{name}）",
                     params={"area": area.pk, "kind": kind, "original_name": name, "needs_input": True},
                     input_file=uploaded_file)


@transaction.atomic
def org_import_preview_staged(*, actor, area, kind, stored_name, original_name):
    """The preview job's work (one transaction with the job's 已完成)."""
    from staff.models import OrgImport

    _check_org(actor, area)
    _check_org_kind(kind)
    expire_stale(OrgImport)
    size, sha = _staged(OrgImport, stored_name)
    record = OrgImport(area=area, kind=kind, uploaded_by=actor, file_size=size, original_name=original_name[:200],
                       sha256=sha)
    record.file.name = stored_name
    return _org_preview(record, actor=actor)


def org_import_commit_start(*, actor, record, valid_only=False):
    from kongchuo.jobs.services import job_start
    from staff.models import OrgImport

    _check_org(actor, record.area)
    if record.status != OrgImport.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名录已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    return job_start(actor=actor, kind=ORG_COMMIT_JOB,
                     label=f"{record.get_kind_display()}确认导入：{record.area}（{record.original_name}）",
                     params={"record": record.pk, "valid_only": bool(valid_only)})


@transaction.atomic
def org_import_commit(*, actor, record, valid_only=False):
    from staff.models import OrgImport
    from staff.org_import import OrgImport as OrgRunner

    record = OrgImport.objects.select_for_update(of=("self",)).select_related("area").get(pk=record.pk)
    _check_org(actor, record.area)
    if record.status != OrgImport.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名录已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    record._history_user = actor
    try:
        report = OrgRunner(kind=record.kind, area=record.area, path=_stored_path(record)).run(
            commit=True, valid_only=valid_only)
    except FileFormatError as exc:
        raise ValidationError(str(exc)) from None
    report.apply_to(record)
    if not report.committed:
        record.message = (f"名录中有 {report.invalid} 行错误，按“整个文件”方式未导入任何数据。"
                          "请修改后重新上传，或选择“仅导入有效行”。")
        record.save()
        return record, report
    discard_file(record)
    record.status = OrgImport.Status.COMMITTED
    record.mode = OrgImport.Mode.VALID_ONLY if valid_only else OrgImport.Mode.ALL
    record.committed_by, record.committed_at, record.message = actor, timezone.now(), ""
    record.save()
    return record, report


# ---------------------------------------------------------------- one-time passwords of a commit job
CREDENTIALS_HOURS = 24  # unviewed one-time passwords are dropped from the commit job's result after this


def staff_credentials_take(*, actor, job, now=None):
    """The one-time passwords a staff commit job created, handed to its requester exactly once: read and removed from
    the job's result in one locked transaction. Returns [{"user", "password", "school", "roles"}] or [] (already
    shown, expired, or not this requester's)."""
    from kongchuo.jobs.services import _own
    from kongchuo.models import Job, User

    now = now or timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        _own(actor, job)
        if job.kind != STAFF_COMMIT_JOB or job.status != Job.Status.DONE:
            return []
        stored = job.result.pop("credentials", None) or []
        if not stored:
            return []
        Job.objects.filter(pk=job.pk).update(result=job.result)
        if job.finished and job.finished < now - datetime.timedelta(hours=CREDENTIALS_HOURS):
            return []
        users = User.objects.in_bulk([c["user"] for c in stored])
    return [dict(c, user=users[c["user"]]) for c in stored if c["user"] in users]


def staff_credentials_expire(*, now):
    """Drop the one-time passwords nobody viewed within CREDENTIALS_HOURS (for the deadline run)."""
    from kongchuo.models import Job

    cutoff = now - datetime.timedelta(hours=CREDENTIALS_HOURS)
    lines = []
    for job in Job.objects.filter(kind=STAFF_COMMIT_JOB, status=Job.Status.DONE, finished__lt=cutoff,
                                  result__has_key="credentials"):
        job.result.pop("credentials", None)
        Job.objects.filter(pk=job.pk).update(result=job.result)
        lines.append(f"后台任务 {job.pk}（{job.label}）未查看的一次性密码已过期删除。")
    return lines
