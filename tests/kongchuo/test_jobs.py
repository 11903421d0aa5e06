"""The job layer (kongchuo/jobs): status table, runner, progress, cancel, retry, stale heartbeat, file clean-up,
pages and scope. Jobs run with the immediate backend (tests/conftest.py) or are only queued (the dummy backend);
test_jobs_worker.py runs a real `db_worker` process."""
import datetime
import os
import time

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from cases import deadlines
from kongchuo.jobs import JobError, Outcome, register_kind
from kongchuo.jobs import registry, transitions
from kongchuo.jobs.runner import GENERIC_ERROR, JobCancelled, execute
from kongchuo.jobs.services import (
    STALE_MESSAGE, job_cancel, job_retry, job_start, jobs_check_stale, jobs_purge_files,
)
from kongchuo.jobs.views import eta_text
from kongchuo.models import AccessLog, Job, RoleAssignment

S = Job.Status
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")
    settings.KONGCHUO_JOB_PROGRESS_SECONDS = 0.05


def _echo(*, job, progress):
    progress(1, total=2, message="第一步")
    progress(2)
    return Outcome(message="生成完成：2 份。", result={"n": 2}, file_name="结果.pdf", file_content=b"%PDF-1.7 test")


def _boom(*, job, progress):
    raise RuntimeError("secret internal detail")


def _user_error(*, job, progress):
    raise JobError("名单中没有可生成通知书的学生。")


def _flaky(*, job, progress):
    AccessLog.objects.create(action=AccessLog.Action.EXPORT, object_type="test", object_id=str(job.attempts))
    if job.attempts == 1:
        raise RuntimeError("worker hiccup")
    return Outcome(message="第二次成功。")


@pytest.fixture(autouse=True)
def kinds():
    saved = dict(registry.KINDS)
    register_kind("test.echo", label="测试任务", action="student.import", run=_echo)
    register_kind("test.boom", label="会出错的任务", action="student.import", run=_boom)
    register_kind("test.user_error", label="有提示的任务", action="student.import", run=_user_error)
    register_kind("test.flaky", label="第一次会失败的任务", action="student.import", run=_flaky)
    yield
    registry.KINDS.clear()
    registry.KINDS.update(saved)


# ------------------------------------------------------------------------------------------------ status table
def test_transition_table_refuses_moves_not_in_it(world):
    job = Job.objects.create(kind="test.echo", label="x", requester=world.principal_a, action="student.import",
                             status=S.DONE)
    with pytest.raises(ImproperlyConfigured):
        transitions.move(job, S.RUNNING, expected=S.DONE)
    with pytest.raises(ImproperlyConfigured):
        transitions.move(job, S.QUEUED, expected=S.CANCELLED)
    assert transitions.allowed(S.FAILED, S.QUEUED) and not transitions.allowed(S.DONE, S.FAILED)


def test_compare_and_set_lets_exactly_one_of_two_starters_win(world):
    job = Job.objects.create(kind="test.echo", label="x", requester=world.principal_a, action="student.import")
    other = Job.objects.get(pk=job.pk)  # a second worker's copy of the same row
    assert transitions.move(job, S.RUNNING, expected=S.QUEUED, attempts=1) is True
    assert transitions.move(other, S.RUNNING, expected=S.QUEUED, attempts=1) is False
    assert other.status == S.QUEUED  # the loser's copy is not changed
    assert execute(job.pk) == "skipped"  # a task for a job already taken does nothing


# ------------------------------------------------------------------------------------------------ running
def test_job_runs_to_done_with_scope_progress_and_private_file(world, settings):
    job = job_start(actor=world.principal_a, kind="test.echo")
    assert job.status == S.DONE and job.done == 2 and job.total == 2 and job.percent == 100
    assert job.message == "生成完成：2 份。" and job.result["n"] == 2 and job.attempts == 1
    assert job.started and job.finished and job.expires > timezone.now() + datetime.timedelta(days=6)
    [entry] = job.scope
    assignment = RoleAssignment.objects.get(user=world.principal_a)
    assert entry["id"] == assignment.pk and entry["role"] == "school_admin"
    path = job.result_file.path
    assert path.startswith(settings.KONGCHUO_PRIVATE_ROOT) and open(path, "rb").read() == b"%PDF-1.7 test"
    with pytest.raises(ValueError):
        job.result_file.url  # noqa: B018 - private storage has no URL


def test_user_without_the_action_cannot_start_a_job(world):
    for user in (world.nobody, world.teacher_a, world.village):
        with pytest.raises(PermissionDenied):
            job_start(actor=user, kind="test.echo")
    assert not Job.objects.exists()


def test_unexpected_error_fails_with_chinese_message_and_keeps_the_traceback_for_admins(world):
    job = job_start(actor=world.principal_a, kind="test.boom")
    assert job.status == S.FAILED and job.message == GENERIC_ERROR
    assert "secret internal detail" in job.error_detail and "secret" not in job.message


def test_user_error_is_shown_as_written(world):
    job = job_start(actor=world.principal_a, kind="test.user_error")
    assert job.status == S.FAILED and job.message == "名单中没有可生成通知书的学生。" and not job.error_detail


def test_failed_attempt_keeps_nothing_and_retry_runs_it_again(world, client):
    job = job_start(actor=world.principal_a, kind="test.flaky")
    assert job.status == S.FAILED
    assert not AccessLog.objects.filter(object_type="test").exists()  # the attempt's write was rolled back
    client.force_login(world.principal_a)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "重试" in page and "任务执行时出现系统错误" in page
    response = client.post(reverse("jobs:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == S.DONE and job.attempts == 2 and job.message == "第二次成功。"
    assert list(AccessLog.objects.filter(object_type="test").values_list("object_id", flat=True)) == ["2"]
    with pytest.raises(Exception, match="不能重试"):
        job_retry(actor=world.principal_a, job=job)


def test_scope_removed_before_the_job_runs_fails_it(world, settings):
    settings.TASKS = DUMMY
    job = job_start(actor=world.principal_a, kind="test.echo")
    assert job.status == S.QUEUED
    RoleAssignment.objects.filter(user=world.principal_a).update(is_active=False)
    assert execute(job.pk) == S.FAILED
    job.refresh_from_db()
    assert "角色已被取消" in job.message and not job.result_file


def test_cancel_a_queued_job_and_its_task_then_does_nothing(world, settings):
    settings.TASKS = DUMMY
    job = job_start(actor=world.principal_a, kind="test.echo")
    with pytest.raises(PermissionDenied):
        job_cancel(actor=world.principal_b, job=job)
    job_cancel(actor=world.principal_a, job=job)
    assert job.status == S.CANCELLED
    assert execute(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == S.CANCELLED and not job.result_file


# ------------------------------------------------------------------------------------------------ stale, clean-up
def _running(world, *, beat_age):
    now = timezone.now()
    return Job.objects.create(kind="test.echo", label="x", requester=world.principal_a, action="student.import",
                              status=S.RUNNING, attempts=1, started=now - datetime.timedelta(seconds=beat_age + 5),
                              heartbeat=now - datetime.timedelta(seconds=beat_age))


def test_stale_heartbeat_fails_the_job_from_run_deadlines(world, settings):
    settings.KONGCHUO_JOB_STALE_SECONDS = 60
    stale, alive = _running(world, beat_age=61), _running(world, beat_age=10)
    lines = deadlines.run_all(now=timezone.now())
    assert any(f"后台任务 {stale.pk}" in line for line in lines)
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == S.FAILED and stale.message == STALE_MESSAGE and alive.status == S.RUNNING
    assert jobs_check_stale(now=timezone.now()) == []  # idempotent


def test_stale_heartbeat_is_also_found_when_the_page_polls(world, client, settings):
    settings.KONGCHUO_JOB_STALE_SECONDS = 60
    job = _running(world, beat_age=120)
    client.force_login(world.principal_a)
    state = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert state["status"] == "failed" and state["can_retry"] and not state["can_cancel"]
    assert "后台进程已中断" in state["message"]


def test_job_files_are_deleted_after_the_keeping_days(world, settings):
    settings.KONGCHUO_JOB_FILE_DAYS = 7
    job = job_start(actor=world.principal_a, kind="test.echo")
    path = job.result_file.path
    assert jobs_purge_files(now=timezone.now() + datetime.timedelta(days=6)) == []
    assert os.path.exists(path)
    lines = deadlines.run_all(now=timezone.now() + datetime.timedelta(days=8))
    assert any("已过保留期" in line for line in lines)
    job.refresh_from_db()
    assert not os.path.exists(path) and not job.result_file


# ------------------------------------------------------------------------------------------------ pages and scope
def test_job_page_and_status_show_progress_and_actions(world, client, settings):
    settings.TASKS = DUMMY
    job = job_start(actor=world.principal_a, kind="test.echo")
    Job.objects.filter(pk=job.pk).update(status=S.RUNNING, done=250, total=1000, attempts=1, heartbeat=timezone.now(),
                                         started=timezone.now() - datetime.timedelta(seconds=10))
    client.force_login(world.principal_a)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'role="progressbar"' in page and "已处理 250 / 1000" in page and "取消" in page
    assert "js/job_progress.js" in page and "<script>" not in page  # no inline script (CSP)
    state = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert state["percent"] == 25 and state["status_label"] == "进行中" and state["can_cancel"]
    assert state["eta"] == "预计还需约 30 秒"
    response = client.post(reverse("jobs:cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == S.RUNNING and job.cancel_requested


def test_my_jobs_lists_own_jobs_and_the_badge_counts_running_ones(world, client, settings):
    settings.TASKS = DUMMY
    mine = job_start(actor=world.principal_a, kind="test.echo", label="我的测试任务")
    theirs = job_start(actor=world.principal_b, kind="test.echo", label="别人的测试任务")
    client.force_login(world.principal_a)
    page = client.get(reverse("jobs:list")).content.decode()
    assert "我的测试任务" in page and "别人的测试任务" not in page
    assert 'id="nav-jobs-count">1<' in page
    job_cancel(actor=world.principal_a, job=mine)
    assert 'id="nav-jobs-count"' not in client.get(reverse("jobs:list")).content.decode()
    assert theirs.status == S.QUEUED


@pytest.mark.parametrize("name,method", [("detail", "get"), ("status", "get"), ("download", "get"),
                                         ("cancel", "post"), ("retry", "post")])
def test_another_users_job_is_404_on_every_url(world, client, name, method):
    job = job_start(actor=world.principal_a, kind="test.echo")
    for user in (world.principal_b, world.teacher_a, world.office, world.nobody):
        client.force_login(user)
        assert getattr(client, method)(reverse(f"jobs:{name}", args=[job.pk])).status_code == 404, user


def test_only_the_requester_downloads_and_every_download_is_logged(world, client):
    job = job_start(actor=world.principal_a, kind="test.echo")
    client.force_login(world.principal_a)
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    log = AccessLog.objects.get(action="export", object_type="kongchuo.Job", object_id=str(job.pk))
    assert log.user == world.principal_a and "结果.pdf" in log.detail
    client.force_login(world.sysadmin)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    # the role is removed meanwhile: the requester gets nothing either
    RoleAssignment.objects.filter(user=world.principal_a).update(is_active=False)
    client.force_login(world.principal_a)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert AccessLog.objects.filter(action="export", object_type="kongchuo.Job").count() == 1


def test_requester_whose_role_changed_to_another_scope_cannot_download(world, client):
    job = job_start(actor=world.principal_a, kind="test.echo")
    assignment = RoleAssignment.objects.get(user=world.principal_a)
    assignment.is_active = False
    assignment.save()
    RoleAssignment.objects.create(user=world.principal_a, role="school_admin", school=world.school_b)
    client.force_login(world.principal_a)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_sysadmin_sees_failed_jobs_for_diagnosis_without_their_file(world, client):
    failed = job_start(actor=world.principal_a, kind="test.boom")
    done = job_start(actor=world.principal_a, kind="test.echo")
    client.force_login(world.sysadmin)
    listing = client.get(reverse("jobs:list") + "?show=failed").content.decode()
    assert "会出错的任务" in listing and "测试任务</a>" not in listing
    page = client.get(reverse("jobs:detail", args=[failed.pk])).content.decode()
    assert "secret internal detail" in page and "重试" in page  # the detail; the 重试 form stays hidden:
    assert 'id="job-retry-form" class="d-none"' in page
    assert client.post(reverse("jobs:retry", args=[failed.pk])).status_code == 403
    assert client.get(reverse("jobs:detail", args=[done.pk])).status_code == 404
    client.force_login(world.principal_a)
    assert "secret internal detail" not in client.get(reverse("jobs:detail", args=[failed.pk])).content.decode()


def test_eta_from_the_rate_so_far():
    now = timezone.now()
    job = Job(status=S.RUNNING, started=now - datetime.timedelta(seconds=60), done=100, total=400)
    assert eta_text(job, now) == "预计还需约 3 分钟"
    job.done = 399
    assert eta_text(job, now) == "预计还需几秒"
    job.done = 0
    assert eta_text(job, now) is None


# ------------------------------------------------------------------------------------------------ connections
def _other_connection_reads(job_id):
    conn = connections.create_connection("default")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT done, total, message FROM kongchuo_job WHERE id = %s", [job_id])
            return cursor.fetchone()
    finally:
        conn.close()


def _set_cancel_from_another_request(job_id):
    conn = connections.create_connection("default")
    try:
        with conn.cursor() as cursor:
            cursor.execute("UPDATE kongchuo_job SET cancel_requested = true WHERE id = %s", [job_id])
    finally:
        conn.close()


SEEN = {}


def _long_work(*, job, progress):
    """Writes inside the job's transaction, reports progress, and checks what a polling page would see."""
    AccessLog.objects.create(action=AccessLog.Action.EXPORT, object_type="test.long", object_id=str(job.pk))
    assert transaction.get_connection().in_atomic_block
    progress(5, total=10, message="处理中：5 / 10")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        seen = _other_connection_reads(job.pk)
        if seen[0] == 5:
            break
        time.sleep(0.02)
    SEEN["progress"] = seen
    _set_cancel_from_another_request(job.pk)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        progress(6)  # raises JobCancelled once the helper thread has read the flag
        time.sleep(0.02)
    SEEN["not_cancelled"] = True
    return Outcome()


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_work_transaction_is_open_and_cancel_rolls_back(world, settings):
    """PostgreSQL, committed rows: the helper thread's writes are seen by another connection before the work commits;
    a cancel from another request stops the work at a progress point and nothing it wrote is kept."""
    register_kind("test.long", label="长任务", action="student.import", run=_long_work)
    settings.TASKS = DUMMY
    job = job_start(actor=world.principal_a, kind="test.long")  # committed (autocommit test)
    SEEN.clear()
    assert execute(job.pk) == S.CANCELLED
    assert SEEN["progress"] == (5, 10, "处理中：5 / 10") and "not_cancelled" not in SEEN
    job.refresh_from_db()
    assert job.status == S.CANCELLED and job.message == "已取消，未保存任何数据。"
    assert not AccessLog.objects.filter(object_type="test.long").exists()


def test_progress_callback_raises_once_cancel_was_seen(world):
    from kongchuo.jobs.runner import Progress

    job = Job.objects.create(kind="test.echo", label="x", requester=world.principal_a, action="student.import")
    progress = Progress(job, 1)
    progress(3, total=9)
    assert (progress.done, progress.total) == (3, 9)
    progress.cancelled = True
    with pytest.raises(JobCancelled):
        progress(4)


def test_selfcheck_is_for_the_system_administrator_and_reports_the_wait(world, client):
    client.force_login(world.principal_a)
    assert client.post(reverse("jobs:selfcheck")).status_code == 403
    client.force_login(world.sysadmin)
    assert "后台进程自检" in client.get(reverse("jobs:list")).content.decode()
    response = client.post(reverse("jobs:selfcheck"))
    job = Job.objects.get(kind="kongchuo.selfcheck")
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.status == S.DONE
    assert "后台任务进程工作正常" in job.message and job.result["queue_wait"] >= 0


def test_a_job_queued_long_suggests_checking_the_worker(world, client, settings):
    settings.TASKS = DUMMY
    job = job_start(actor=world.principal_a, kind="test.echo")
    client.force_login(world.principal_a)
    assert "检查后台任务进程" not in client.get(reverse("jobs:status", args=[job.pk])).json()["message"]
    Job.objects.filter(pk=job.pk).update(created=timezone.now() - datetime.timedelta(minutes=2))
    assert "检查后台任务进程" in client.get(reverse("jobs:status", args=[job.pk])).json()["message"]
    assert "检查后台任务进程" in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()


def test_admin_shows_jobs_read_only_without_their_files(world, client, django_user_model):
    job = job_start(actor=world.principal_a, kind="test.echo")
    admin_user = django_user_model.objects.create_superuser("root_admin", password="x-Admin-2026")
    RoleAssignment.objects.create(user=admin_user, role="sysadmin", area=world.area)
    client.force_login(admin_user)
    assert client.get(reverse("admin:kongchuo_job_changelist")).status_code == 200
    page = client.get(reverse("admin:kongchuo_job_change", args=[job.pk]))
    assert page.status_code == 200 and job.result_file.name not in page.content.decode()
    assert client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).status_code == 200
