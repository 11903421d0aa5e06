"""学籍导入 as background jobs (kongchuo/jobs): the preview of an uploaded file and the commit of a preview.

Registered from StudentsConfig.ready. Each run is one transaction with the job's 已完成 (runner.execute): a worker
killed mid-way leaves no batch and no student, and 重试 runs the same work again.
"""
from django.urls import reverse

from kongchuo.jobs import Outcome, register_kind
from kongchuo.models import School
from students.models import ImportBatch

from .services import COMMIT_JOB, PREVIEW_JOB, import_batch_commit, import_batch_preview_staged


def _batch_page(job):
    return reverse("students:import_detail", args=[job.result["batch"]])


def run_preview(*, job, progress):
    school = School.objects.get(pk=job.params["school"])
    progress(0, message="正在读取文件并逐行检查…")
    batch = import_batch_preview_staged(actor=job.requester, school=school, stored_name=job.input_file.name,
                                        original_name=job.params["original_name"], progress=progress)
    if batch.status == ImportBatch.Status.FAILED:
        return Outcome(message=f"文件无法导入：{batch.message}", level="error", result={"batch": batch.pk},
                       input_taken=False)
    return Outcome(message=f"预览完成：共 {batch.total_rows} 行，请核对后确认导入。", level="info",
                   result={"batch": batch.pk}, input_taken=True)


def run_commit(*, job, progress):
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    progress(0, total=batch.total_rows or None, message="正在导入…")
    batch, report = import_batch_commit(actor=job.requester, batch=batch, valid_only=job.params.get("valid_only"),
                                        progress=progress)
    if report.committed:
        message = (f"导入完成：新增 {report.new} 名，更新 {report.updated} 名，无变化 {report.unchanged} 名"
                   + (f"，跳过有错误的 {report.invalid} 行" if report.invalid else "") + "。")
        return Outcome(message=message, result={"batch": batch.pk, "committed": True})
    return Outcome(message=batch.message, level="error", result={"batch": batch.pk, "committed": False})


def register():
    register_kind(PREVIEW_JOB, label="学籍导入预览", action="student.import", run=run_preview,
                  next_url=_batch_page, auto_next=True)
    register_kind(COMMIT_JOB, label="学籍确认导入", action="student.import", run=run_commit,
                  next_url=_batch_page, auto_next=True)
