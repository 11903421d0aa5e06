"""The job layer (issue 12): how long a queued job waits for a free worker on an idle system (a real
`manage.py db_worker --interval 0.5` process, PostgreSQL), and the request that starts the preview of a
50,000-row 学籍 file (it only checks and stages the file and enqueues: ≤ 300 ms), then that preview through the
worker end to end."""
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kongchuo.jobs.services import job_start
from kongchuo.models import Job, Role, RoleAssignment, User
from tests.perf.bench_table import is_small, record
from tests.perf.test_bench_import import ADMIN, ROOT, ROWS, _file, _world

INTERVAL = 0.5  # the worker's polling interval (README: the command the integrator runs)
WAITS = 5 if is_small() else 20


def _worker(var_dir):
    db = settings.DATABASES["default"]
    url = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
           f"/{db['NAME']}")
    env = dict(os.environ, DATABASE_URL=url, VAR_DIR=str(var_dir), KONGCHUO_TASK_BACKEND="django_tasks_db.DatabaseBackend")
    return subprocess.Popen([sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
                             "--interval", str(INTERVAL), "--verbosity", "0"], cwd=ROOT, env=env,
                            start_new_session=True)


def _wait_done(job, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in Job.ACTIVE:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_bench_job_queue_wait_and_preview_request(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")
    path = _file()
    school = _world()
    admin = User.objects.create_user("bench_sysadmin", password="Bench-2026-jobs", real_name="基准系统管理员")
    RoleAssignment.objects.create(user=admin, role=Role.SYSADMIN, area=school.area)
    worker = _worker(tmp_path)
    try:
        _wait_done(job_start(actor=admin, kind="kongchuo.selfcheck"), 120)  # the worker is up
        waits = []
        for _ in range(WAITS):
            time.sleep(0.13)  # land anywhere in the worker's polling cycle
            job = _wait_done(job_start(actor=admin, kind="kongchuo.selfcheck"), 30)
            waits.append((job.started - job.created).total_seconds())
        record(f"job queue wait, idle worker (s, median of {WAITS})", statistics.median(waits), budget=1.0,
               baseline=INTERVAL, baseline_label="polling interval",
               note=f"max {max(waits):.3f} s; `db_worker --interval {INTERVAL}` polls the queue every {INTERVAL} s")

        from students.importing.services import import_from_path

        started = time.perf_counter()
        import_from_path(path=path, school=school)  # the same preview in this process, no job: the baseline (worker idle)
        inline = time.perf_counter() - started
        client = Client()
        client.force_login(User.objects.get(username=ADMIN))
        content = path.read_bytes()
        timings = []
        for _ in range(3):
            upload = SimpleUploadedFile("national.xlsx", content)
            started = time.perf_counter()
            response = client.post(reverse("students:import"), {"file": upload})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 302 and "/jobs/" in response.url
        record(f"request starting a {ROWS:,}-row preview (s, median of 3)", statistics.median(timings),
               budget=None if is_small() else 0.3,
               note=f"file {len(content) / 1024 / 1024:.1f} MB: checked, staged in private storage, job enqueued")
        jobs = list(Job.objects.filter(kind="students.import_preview").order_by("pk"))
        for job in jobs:
            _wait_done(job, 600)
            assert job.status == Job.Status.DONE, job.message
        first = jobs[0]
        record(f"preview of {ROWS:,} rows through the worker (s, queued → done)",
               (first.finished - first.created).total_seconds(), budget=None, baseline=inline,
               baseline_label="same preview inline",
               note=f"{school.name}: {first.done} rows checked; the page polls its progress")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
