"""Batch notice PDFs through the job layer: many fresh notices → a job whose file only the requester downloads."""
import io

import pikepdf
import pytest
from django.urls import reverse

from kongchuo.models import AccessLog, Job, RoleAssignment
from notices import jobs
from notices.models import Notice

from .test_views import notices  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


@pytest.fixture
def always_job(monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_RENDER_MAX", 0)


def test_batch_of_fresh_notices_runs_as_a_job_and_the_requester_downloads_it(client, world, notices, always_job):
    Notice.objects.update(pdf="")
    client.force_login(world.principal_a)
    response = client.get(reverse("notices:batch_pdf"))
    job = Job.objects.get(kind="notices.batch_pdf")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == Job.Status.DONE and job.done == job.total == 2 and job.params["notices"]
    page = client.get(response.url).content.decode()
    assert "已生成 2 份通知书的 PDF" in page and reverse("jobs:download", args=[job.pk]) in page
    download = client.get(reverse("jobs:download", args=[job.pk]))
    pdf = pikepdf.open(io.BytesIO(b"".join(download.streaming_content)))
    assert len(pdf.pages) == 4  # a1 and a3, a page pair each; b1, c1 are outside school A
    printed = AccessLog.objects.get(action=AccessLog.Action.PRINT, purpose="批量打印通知书（后台任务）")
    assert notices["a1"].number in printed.detail and notices["b1"].number not in printed.detail
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, object_type="kongchuo.Job").count() == 1
    assert all(n.pdf for n in Notice.objects.filter(pk__in=job.params["notices"]))  # cached for the next print
    client.force_login(world.office)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_cached_notices_stay_inline(client, world, notices):
    client.force_login(world.principal_a)
    client.get(reverse("notices:batch_pdf"))  # renders and caches the two (2 ≤ INLINE_RENDER_MAX)
    response = client.get(reverse("notices:batch_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert not Job.objects.exists()


def test_scope_removed_before_the_batch_runs_yields_nothing(client, world, notices, always_job, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from kongchuo.jobs.runner import execute

    Notice.objects.update(pdf="")
    client.force_login(world.principal_a)
    client.get(reverse("notices:batch_pdf"))
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED
    RoleAssignment.objects.filter(user=world.principal_a).update(is_active=False)
    assert execute(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert not job.result_file and not Notice.objects.exclude(pdf="").exists()


def test_notice_moved_out_of_scope_fails_the_job_with_a_reason(world, notices, always_job, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from kongchuo.jobs.runner import execute

    job = jobs.batch_pdf_start(actor=world.principal_a, notices=[notices["a1"], notices["b1"]], title="t")
    assert execute(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert "不在您的打印范围内" in job.message and not job.result_file
