"""学籍导入 and 学籍比对 through the job layer: all-or-nothing attempts, retry without duplicates, cancel, progress."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kongchuo.jobs.runner import execute
from kongchuo.models import Job, RoleAssignment
from students.idnumbers import build as build_id
from students.importing import national
from students.importing.samples import write_national
from students.importing.services import import_batch_commit_start, import_batch_start, import_batch_upload
from students.models import ImportBatch, Student

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")
    settings.KONGCHUO_JOB_PROGRESS_SECONDS = 0.05


def _rows(n):
    return [{"姓名": f"王小{i}", "性别": "男", "出生日期": "2017-03-04",
             "身份证件号": build_id("411503", datetime.date(2017, 3, 4), i * 2 + 1), "班级": "三年级(1)班"}
            for i in range(n)]


def _upload(tmp_path, n=3):
    path = write_national(tmp_path / "export.xlsx", _rows(n))
    return SimpleUploadedFile("export.xlsx", path.read_bytes())


def test_preview_job_records_progress_and_hands_the_file_to_the_batch(world, tmp_path):
    job = import_batch_start(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(tmp_path, 5))
    assert job.status == Job.Status.DONE and job.done == 5 and job.total >= 5
    batch = ImportBatch.objects.get(pk=job.result["batch"])
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.new_count == 5 and len(batch.sha256) == 64
    assert not job.input_file and batch.file and batch.file.storage.exists(batch.file.name)
    assert batch.file_size == batch.file.storage.size(batch.file.name)


def test_failed_preview_leaves_no_batch_and_retry_makes_exactly_one(world, tmp_path, monkeypatch, client):
    real_run = national.NationalImport.run
    calls = []

    def flaky(self, **kw):
        calls.append(1)
        report = real_run(self, **kw)
        if len(calls) == 1:
            raise RuntimeError("worker lost its connection")
        return report

    monkeypatch.setattr(national.NationalImport, "run", flaky)
    client.force_login(world.principal_a)
    client.post(reverse("students:import"), {"file": _upload(tmp_path)})
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and not ImportBatch.objects.exists() and job.input_file
    client.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    batch = ImportBatch.objects.get()
    assert batch.total_rows == 3 and job.result["batch"] == batch.pk


def test_commit_job_for_a_batch_already_committed_fails_with_the_reason(world, tmp_path, client):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(tmp_path))
    client.force_login(world.principal_a)
    client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"})
    assert Student.objects.filter(name__startswith="王小").count() == 3
    with pytest.raises(Exception, match="不能再次导入"):
        import_batch_commit_start(actor=world.principal_a, batch=ImportBatch.objects.get(pk=batch.pk))


def test_commit_job_checks_the_scope_again_when_it_runs(world, tmp_path, settings):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(tmp_path))
    settings.TASKS = DUMMY
    job = import_batch_commit_start(actor=world.principal_a, batch=batch)
    RoleAssignment.objects.filter(user=world.principal_a).update(is_active=False)
    assert execute(job.pk) == Job.Status.FAILED
    assert not Student.objects.filter(name__startswith="王小").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED


@pytest.mark.django_db(transaction=True)
def test_cancelled_commit_imports_nothing(world, tmp_path, settings):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(tmp_path, 30))
    settings.TASKS = DUMMY
    job = import_batch_commit_start(actor=world.principal_a, batch=batch)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)  # the user pressed 取消 as the worker took it
    assert execute(job.pk) == Job.Status.CANCELLED
    assert not Student.objects.filter(name__startswith="王小").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.file  # still there to commit later


def test_import_page_upload_to_job_page_to_preview(client, world, tmp_path, settings):
    settings.TASKS = DUMMY
    client.force_login(world.principal_a)
    response = client.post(reverse("students:import"), {"file": _upload(tmp_path)})
    job = Job.objects.get()
    page = client.get(response.url).content.decode()
    assert "学籍导入预览" in page and "排队中" in page and "等待后台处理" in page
    assert client.get(reverse("jobs:list")).content.decode().count("学籍导入预览") == 1
    execute(job.pk)  # what the worker does
    response = client.get(reverse("jobs:detail", args=[job.pk]), follow=True)
    assert "待确认导入" in response.content.decode() and "预览完成：共 3 行" in response.content.decode()
