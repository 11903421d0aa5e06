"""教职工名单 and 学校/村（社区）名录 imports through the job layer: the upload answers with the job page, a retried
commit creates no duplicate account, a requester whose role was removed gets nothing, the one-time passwords are
shown once to the requester only."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases import deadlines
from kongchuo.jobs.runner import execute
from kongchuo.models import Area, Job, Role, RoleAssignment, User, Village
from staff import import_services, importing
from staff.models import OrgImport, StaffImport, StaffProfile
from staff.samples import write_staff_file
from students.importing.samples import SAMPLES_DIR
from tests import factories as f

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
OTP = 'class="fs-6 otp"'


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")
    settings.KONGCHUO_JOB_PROGRESS_SECONDS = 0.05


def _file(world, tmp_path):
    path = write_staff_file(tmp_path / "s.xlsx", [
        [1, "甲老师", "13800000041", "", world.school_a.name, "教师", "科任教师"],
        [2, "乙老师", "13800000042", "", world.school_a.name, "教师", "科任教师"],
    ])
    return SimpleUploadedFile("教职工.xlsx", path.read_bytes())


def _new_accounts():
    return User.objects.filter(username__in=["13800000041", "13800000042"])


def _previewed(world, tmp_path):
    return import_services.staff_import_upload(actor=world.principal_a, area=world.school_a.area,
                                               school=world.school_a, uploaded_file=_file(world, tmp_path))


def test_staff_upload_answers_with_the_job_page_and_the_worker_makes_the_preview(client, world, tmp_path, settings):
    settings.TASKS = DUMMY
    client.force_login(world.principal_a)
    response = client.post(reverse("staff:import"), {"target": f"school:{world.school_a.pk}",
                                                     "file": _file(world, tmp_path)})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "staff.import_preview" and job.status == Job.Status.QUEUED and job.input_file
    page = client.get(response.url).content.decode()
    assert "教职工名单导入预览" in page and "排队中" in page and not StaffImport.objects.exists()
    assert execute(job.pk) == Job.Status.DONE  # what the worker does
    record = StaffImport.objects.get()
    assert record.status == StaffImport.Status.PREVIEWED and record.new_count == 2 and len(record.sha256) == 64
    assert record.file and record.file.storage.exists(record.file.name)  # the staged upload handed to the record
    response = client.get(reverse("jobs:detail", args=[job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:import_detail", args=[record.pk])
    assert "预览完成：共 2 行" in response.content.decode() and not _new_accounts().exists()


def test_org_upload_answers_with_the_job_page(client, world, settings):
    settings.TASKS = DUMMY
    area = Area.objects.create(name="新区", code="411599")
    office = f.UserFactory(username="office_new")
    f.RoleAssignmentFactory(user=office, role=Role.OFFICE_STAFF, area=area)
    client.force_login(office)
    upload = SimpleUploadedFile("v.xlsx", (SAMPLES_DIR / "village_list_sample.xlsx").read_bytes())
    response = client.post(reverse("staff:org_import"), {"kind": "villages", "area": area.pk, "file": upload})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "staff.org_import_preview" and not OrgImport.objects.exists()
    execute(job.pk)
    record = OrgImport.objects.get()
    assert record.new_count == 6 and record.status == OrgImport.Status.PREVIEWED
    response = client.post(reverse("staff:org_import_detail", args=[record.pk]))
    commit = Job.objects.get(kind="staff.org_import_commit")
    assert response.url == reverse("jobs:detail", args=[commit.pk]) and not Village.objects.filter(
        subdistrict__area=area).exists()
    assert execute(commit.pk) == Job.Status.DONE
    assert Village.objects.filter(subdistrict__area=area).count() == 6


def test_retried_commit_job_creates_no_duplicate_accounts(client, world, tmp_path, monkeypatch):
    record = _previewed(world, tmp_path)
    real_run = importing.StaffImport.run
    calls = []

    def flaky(self, **kw):
        report = real_run(self, **kw)
        if kw.get("commit"):
            calls.append(1)
            if len(calls) == 1:  # the worker dies after the accounts were written, before the job's 已完成
                raise RuntimeError("worker lost its connection")
        return report

    monkeypatch.setattr(importing.StaffImport, "run", flaky)
    client.force_login(world.principal_a)
    response = client.post(reverse("staff:import_commit", args=[record.pk]))
    job = Job.objects.get(kind="staff.import_commit")
    assert response.url == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "credentials" not in job.result
    assert not _new_accounts().exists()
    record.refresh_from_db()
    assert record.status == StaffImport.Status.PREVIEWED and record.file
    client.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert _new_accounts().count() == 2 and StaffProfile.objects.filter(user__in=_new_accounts()).count() == 2
    assert RoleAssignment.objects.filter(user__in=_new_accounts(), role=Role.TEACHER).count() == 2
    record.refresh_from_db()
    assert record.status == StaffImport.Status.COMMITTED
    # the passwords: shown once, to the requester, then gone from the job
    page = client.get(reverse("jobs:detail", args=[job.pk]), follow=True)
    assert page.redirect_chain[-1][0] == reverse("staff:import_credentials", args=[job.pk])
    assert page.content.decode().count(OTP) == 2 and "no-store" in page["Cache-Control"]
    job.refresh_from_db()
    assert "credentials" not in job.result and job.result["accounts"] == 2
    again = client.get(reverse("staff:import_credentials", args=[job.pk]), follow=True)
    assert OTP not in again.content.decode() and "已显示过" in again.content.decode()
    assert client.get(reverse("jobs:detail", args=[job.pk])).url == reverse("staff:import_detail", args=[record.pk])


def test_the_passwords_are_for_the_requester_only(client, world, tmp_path):
    record = _previewed(world, tmp_path)
    job = import_services.staff_import_commit_start(actor=world.principal_a, record=record)
    assert len(job.result["credentials"]) == 2
    office = f.UserFactory(username="office_peek")
    f.RoleAssignmentFactory(user=office, role=Role.OFFICE_STAFF, area=world.school_a.area)
    client.force_login(office)  # may import staff, but did not start this job
    assert client.get(reverse("staff:import_credentials", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert len(job.result["credentials"]) == 2  # still there for the requester


def test_unviewed_passwords_expire(client, world, tmp_path):
    record = _previewed(world, tmp_path)
    job = import_services.staff_import_commit_start(actor=world.principal_a, record=record)
    now = timezone.now()
    assert import_services.staff_credentials_expire(now=now) == []
    later = now + datetime.timedelta(hours=import_services.CREDENTIALS_HOURS + 1)
    lines = deadlines.run_all(now=later)  # the daily deadline run (run_deadlines) includes the check
    assert any(f"后台任务 {job.pk}" in line and "一次性密码已过期删除" in line for line in lines)
    job.refresh_from_db()
    assert "credentials" not in job.result
    client.force_login(world.principal_a)
    page = client.get(reverse("staff:import_credentials", args=[job.pk]), follow=True)
    assert OTP not in page.content.decode() and "已显示过" in page.content.decode()


def test_a_late_first_view_shows_no_passwords(world, tmp_path):
    record = _previewed(world, tmp_path)
    job = import_services.staff_import_commit_start(actor=world.principal_a, record=record)
    later = timezone.now() + datetime.timedelta(hours=import_services.CREDENTIALS_HOURS + 1)
    assert import_services.staff_credentials_take(actor=world.principal_a, job=job, now=later) == []
    job.refresh_from_db()
    assert "credentials" not in job.result


def test_requester_whose_role_was_removed_before_the_commit_job_runs_gets_nothing(client, world, tmp_path, settings):
    record = _previewed(world, tmp_path)
    settings.TASKS = DUMMY
    job = import_services.staff_import_commit_start(actor=world.principal_a, record=record)
    RoleAssignment.objects.filter(user=world.principal_a, role=Role.SCHOOL_ADMIN).update(is_active=False)
    assert execute(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert "角色已被取消" in job.message and "credentials" not in job.result
    assert not _new_accounts().exists()
    record.refresh_from_db()
    assert record.status == StaffImport.Status.PREVIEWED
    client.force_login(world.principal_a)
    assert client.get(reverse("staff:import_credentials", args=[job.pk])).status_code in (302, 403)
    assert OTP not in client.get(reverse("staff:import_credentials", args=[job.pk]), follow=True).content.decode()


def test_requester_whose_role_was_removed_before_the_preview_job_runs_gets_nothing(client, world, tmp_path,
                                                                                   settings):
    settings.TASKS = DUMMY
    job = import_services.staff_import_start(actor=world.principal_a, area=world.school_a.area,
                                             school=world.school_a, uploaded_file=_file(world, tmp_path))
    RoleAssignment.objects.filter(user=world.principal_a, role=Role.SCHOOL_ADMIN).update(is_active=False)
    assert execute(job.pk) == Job.Status.FAILED
    assert not StaffImport.objects.exists() and "record" not in Job.objects.get(pk=job.pk).result


def test_org_commit_job_checks_the_scope_again_when_it_runs(world, settings):
    area = Area.objects.create(name="新区", code="411598")
    office = f.UserFactory(username="office_gone")
    f.RoleAssignmentFactory(user=office, role=Role.OFFICE_STAFF, area=area)
    upload = SimpleUploadedFile("v.xlsx", (SAMPLES_DIR / "village_list_sample.xlsx").read_bytes())
    record = import_services.org_import_upload(actor=office, area=area, kind="villages", uploaded_file=upload)
    settings.TASKS = DUMMY
    job = import_services.org_import_commit_start(actor=office, record=record)
    RoleAssignment.objects.filter(user=office).update(is_active=False)
    assert execute(job.pk) == Job.Status.FAILED
    assert not Village.objects.filter(subdistrict__area=area).exists()


def test_cli_import_staff_needs_no_worker(world, tmp_path, settings, capsys):
    settings.TASKS = DUMMY  # nothing would run a job
    path = tmp_path / "cli.xlsx"
    path.write_bytes(_file(world, tmp_path).read())
    call_command("import_staff", str(path), "--school", world.school_a.code, "--commit")
    assert _new_accounts().count() == 2 and not Job.objects.exists()
