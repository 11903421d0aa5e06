"""A real worker (`manage.py db_worker`, its own process) on PostgreSQL runs the 学籍导入 preview job: the progress
moves while the preview's transaction is open, the worker is killed mid-job, the job goes 失败 after the
stale-heartbeat window (KONGCHUO_JOB_STALE_SECONDS, 3 s here), 重试 on a new worker runs it to the end, and the
retried job made exactly one import batch. Then the commit goes through the worker the same way."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from kongchuo.models import Job
from students.importing.samples import NationalExport
from students.models import ImportBatch, Student

ROOT = Path(__file__).resolve().parents[2]
ROWS = 24_000  # enough rows that the kill lands while the preview still reads (an idle machine reads fast)
STALE = 3
S = Job.Status
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker test needs PostgreSQL")


def _worker(var_dir):
    db = settings.DATABASES["default"]
    url = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
           f"/{db['NAME']}")
    env = dict(os.environ, DATABASE_URL=url, VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1",
               KONGCHUO_TASK_BACKEND="django_tasks_db.DatabaseBackend", KONGCHUO_JOB_STALE_SECONDS=str(STALE))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen([sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
                             "--interval", "0.2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait(job, until, timeout, what):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not seen or seen[-1] != job.done:
            seen.append(job.done)
        if until(job):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{what}: still {job.status} {job.done}/{job.total} after {timeout} s ({job.message})")


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_real_worker_progress_kill_stale_failure_and_retry_to_one_batch(world, client, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KONGCHUO_JOB_STALE_SECONDS = STALE
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")  # = the worker's VAR_DIR/private
    path = tmp_path / "export.xlsx"
    NationalExport(school_code=world.school_a.code or "4115030001", school_name=world.school_a.name,
                   classes=[(level, 1) for level in range(1, 7)], seed=7).write(path, ROWS, engine="xlsxwriter")

    client.force_login(world.principal_a)
    started = time.monotonic()
    response = client.post(reverse("students:import"), {"file": SimpleUploadedFile("export.xlsx", path.read_bytes())})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == S.QUEUED and time.monotonic() - started < 5  # the request only starts the job

    worker = _worker(tmp_path)
    try:
        seen = _wait(job, lambda j: j.status == S.RUNNING and j.done >= 2 * 400, 120, "progress")
        assert job.total and job.total >= ROWS and len([d for d in seen if d]) >= 1
        seen += _wait(job, lambda j: j.done > seen[-1], 60, "progress moves")
        assert sorted(seen) == seen and seen[-1] > seen[-2] >= 0  # the bar moved while the preview ran
        state = client.get(reverse("jobs:status", args=[job.pk])).json()
        assert state["status"] == "running" and state["can_cancel"] and 0 < state["percent"] < 100
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies mid-job
        worker.wait(timeout=10)
        assert job.status == S.RUNNING and not ImportBatch.objects.exists()
        time.sleep(STALE + 1)
        state = client.get(reverse("jobs:status", args=[job.pk])).json()  # the polling page finds it stale
        assert state["status"] == "failed" and state["can_retry"] and "后台进程已中断" in state["message"]
        assert not ImportBatch.objects.exists()  # the preview was all-or-nothing

        assert client.post(reverse("jobs:retry", args=[job.pk])).status_code == 302
        worker = _worker(tmp_path)
        _wait(job, lambda j: j.status not in Job.ACTIVE, 300, "retry")
        assert job.status == S.DONE and job.attempts == 2, job.message
        batch = ImportBatch.objects.get()  # exactly one batch: the killed attempt left nothing
        assert batch.status == ImportBatch.Status.PREVIEWED and batch.total_rows == ROWS
        assert job.result["batch"] == batch.pk and not job.input_file  # the batch took the staged file
        response = client.get(reverse("jobs:detail", args=[job.pk]))
        assert response.status_code == 302 and response.url == reverse("students:import_detail", args=[batch.pk])

        response = client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "valid_only"})
        commit = Job.objects.get(kind="students.import_commit")
        assert response.url == reverse("jobs:detail", args=[commit.pk])
        _wait(commit, lambda j: j.status not in Job.ACTIVE, 300, "commit")
        assert commit.status == S.DONE and "导入完成" in commit.message, commit.message
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.COMMITTED
        assert Student.objects.filter(school=world.school_a).count() >= batch.valid_count - batch.unchanged_count
    finally:
        _stop(worker)
        out = worker.stdout.read().decode(errors="replace") if worker.stdout else ""
        print(out[-3000:])
