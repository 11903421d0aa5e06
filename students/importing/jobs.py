"""学籍导入 and 学籍比对 as background jobs (kongchuo/jobs): the preview of an uploaded file and the commit of a
preview, for national exports and for population lists.

Registered from StudentsConfig.ready. Each run is one transaction with the job's 已完成 (runner.execute): a worker
killed mid-way leaves no batch and no student, and 重试 runs the same work again.
"""
from django.urls import reverse

from kongchuo.jobs import Outcome, register_kind
from kongchuo.models import School
from students.models import ImportBatch, PopulationList

from .population_services import (
    POPULATION_COMMIT_JOB, POPULATION_PREVIEW_JOB, population_list_commit, population_list_preview_staged,
)
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


def _population_page(job):
    return reverse("students:population_detail", args=[job.result["record"]])


def run_population_preview(*, job, progress):
    progress(0, message="正在读取名单并与学籍比对…")
    record = population_list_preview_staged(actor=job.requester, stored_name=job.input_file.name,
                                            original_name=job.params["original_name"],
                                            village_id=job.params.get("village"), progress=progress)
    if record.status == PopulationList.Status.FAILED:
        return Outcome(message=f"名单无法导入：{record.message}", level="error", result={"record": record.pk})
    return Outcome(message=f"比对预览完成：共 {record.total_rows} 行，请核对后确认导入。", level="info",
                   result={"record": record.pk}, input_taken=True)


def run_population_commit(*, job, progress):
    record = PopulationList.objects.get(pk=job.params["record"])
    progress(0, total=record.total_rows or None, message="正在导入名单…")
    record, report = population_list_commit(actor=job.requester, record=record,
                                            valid_only=job.params.get("valid_only"), progress=progress)
    if report.committed:
        d = report.details
        return Outcome(message=f"名单已导入：在读 {d.get('matched', 0)} 名，待核实 {d.get('candidates', 0)} 名。",
                       result={"record": record.pk, "committed": True})
    return Outcome(message=record.message, level="error", result={"record": record.pk, "committed": False})


def register():
    register_kind(PREVIEW_JOB, label="学籍导入预览", action="student.import", run=run_preview,
                  next_url=_batch_page, auto_next=True)
    register_kind(COMMIT_JOB, label="学籍确认导入", action="student.import", run=run_commit,
                  next_url=_batch_page, auto_next=True)
    register_kind(POPULATION_PREVIEW_JOB, label="适龄儿童名单比对预览", action="population.import",
                  run=run_population_preview, next_url=_population_page, auto_next=True)
    register_kind(POPULATION_COMMIT_JOB, label="适龄儿童名单确认导入", action="population.import",
                  run=run_population_commit, next_url=_population_page, auto_next=True)
