"""教职工名单 and 学校/村（社区）名录 imports as background jobs (kongchuo/jobs), the 学籍 import's pattern
(students/importing/jobs.py): the preview of an uploaded file and the commit of a preview.

Registered from StaffConfig.ready. Each run is one transaction with the job's 已完成 (runner.execute): a worker
killed mid-way leaves no record and no account, and 重试 runs the same work again.

The one-time passwords of the accounts a commit creates: the commit job's result holds them (the only place they
exist in plain text) from the commit until the requester's first view of the credentials page
(staff:import_credentials), which takes them out of the result in the same transaction as it reads them. A failed
or killed attempt stores none (its transaction rolls back). Unviewed ones are dropped with the job's other results
(see staff_credentials_take); the accounts stay forced to change their password, so a reset gives new ones.
"""
from django.urls import reverse

from kongchuo.jobs import Outcome, register_kind
from kongchuo.models import Area, School

from .import_services import (
    ORG_COMMIT_JOB, ORG_PREVIEW_JOB, STAFF_COMMIT_JOB, STAFF_PREVIEW_JOB, org_import_commit, org_import_preview_staged,
    staff_import_commit, staff_import_preview_staged,
)
from .models import OrgImport, StaffImport


def _staff_page(job):
    if job.result.get("credentials"):
        return reverse("staff:import_credentials", args=[job.pk])
    return reverse("staff:import_detail", args=[job.result["record"]])


def run_staff_preview(*, job, progress):
    area = Area.objects.get(pk=job.params["area"])
    school = School.objects.get(pk=job.params["school"]) if job.params.get("school") else None
    progress(0, message="正在读取名单并逐行检查…")
    record = staff_import_preview_staged(actor=job.requester, area=area, school=school,
                                         stored_name=job.input_file.name, original_name=job.params["original_name"])
    if record.status == StaffImport.Status.FAILED:
        return Outcome(message=f"名单无法导入：{record.message}", level="error", result={"record": record.pk})
    return Outcome(message=f"预览完成：共 {record.total_rows} 行，请核对后确认导入。", level="info",
                   result={"record": record.pk}, input_taken=True)


def run_staff_commit(*, job, progress):
    record = StaffImport.objects.get(pk=job.params["record"])
    progress(0, total=record.total_rows or None, message="正在导入名单、创建账号…")
    record, report, credentials = staff_import_commit(actor=job.requester, record=record,
                                                      valid_only=job.params.get("valid_only", False))
    if not report.committed:
        return Outcome(message=record.message, level="error", result={"record": record.pk, "committed": False})
    result = {"record": record.pk, "committed": True, "accounts": len(credentials)}
    if credentials:
        result["credentials"] = [{"user": c["user"].pk, "password": c["password"], "school": str(c.get("school") or ""),
                                  "roles": [str(r) for r in c.get("roles") or []]} for c in credentials]
    return Outcome(message=f"已导入：{report.counts_line()}", result=result)


def _org_page(job):
    return reverse("staff:org_import_detail", args=[job.result["record"]])


def run_org_preview(*, job, progress):
    area = Area.objects.get(pk=job.params["area"])
    progress(0, message="正在读取名录并逐行检查…")
    record = org_import_preview_staged(actor=job.requester, area=area, kind=job.params["kind"],
                                       stored_name=job.input_file.name, original_name=job.params["original_name"])
    if record.status == OrgImport.Status.FAILED:
        return Outcome(message=f"名录无法导入：{record.message}", level="error", result={"record": record.pk})
    return Outcome(message=f"预览完成：共 {record.total_rows} 行，请核对后确认导入。", level="info",
                   result={"record": record.pk}, input_taken=True)


def run_org_commit(*, job, progress):
    record = OrgImport.objects.get(pk=job.params["record"])
    progress(0, total=record.total_rows or None, message="正在导入名录…")
    record, report = org_import_commit(actor=job.requester, record=record,
                                       valid_only=job.params.get("valid_only", False))
    if not report.committed:
        return Outcome(message=record.message, level="error", result={"record": record.pk, "committed": False})
    return Outcome(message=f"已导入：{report.counts_line()}", result={"record": record.pk, "committed": True})


def register():
    register_kind(STAFF_PREVIEW_JOB, label="教职工名单导入预览", action="staff.import", run=run_staff_preview,
                  next_url=_staff_page, auto_next=True)
    register_kind(STAFF_COMMIT_JOB, label="教职工名单确认导入", action="staff.import", run=run_staff_commit,
                  next_url=_staff_page, auto_next=True)
    register_kind(ORG_PREVIEW_JOB, label="学校/村名录导入预览", action="org.import", run=run_org_preview,
                  next_url=_org_page, auto_next=True)
    register_kind(ORG_COMMIT_JOB, label="学校/村名录确认导入", action="org.import", run=run_org_commit,
                  next_url=_org_page, auto_next=True)
