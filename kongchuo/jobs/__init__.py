"""后台任务 — the job layer on Django's tasks API (django-tasks backport; built into Django 6).

Flow: a view validates the request and calls `job_start(actor=…, kind=…, params=…)` (services.py), which records a
`Job` row (kongchuo.models.Job: requester, the role assignments it runs under, parameters) and enqueues the one task
`run_job(job_id)` (tasks.py) on the configured backend (settings.TASKS: the database backend, `manage.py db_worker`).
The page then polls the job. The worker's runner (runner.py) moves the job 排队中 → 进行中 with a compare-and-set
(two workers never run one job), checks the scope again, and calls the kind's function with a progress callback.

Apps register their kinds from AppConfig.ready (`register_kind`), so kongchuo imports nothing from them:

    register_kind("students.import_preview", label="学籍导入预览", action="student.import",
                  run=run_preview, next_url=lambda job: reverse(...), auto_next=True)

`run(job, progress)` does the work and returns an `Outcome`; `progress(done, total=None, message=None)` is cheap
(it only records the values: a helper thread writes them, with the heartbeat, on its own connection, so they are
visible while the work's transaction is still open) and raises `JobCancelled` once the user asked to cancel.
The work and the job's 已完成 commit in one transaction: a worker killed mid-job leaves nothing behind, the job goes
失败 when its heartbeat is older than KONGCHUO_JOB_STALE_SECONDS, and 重试 runs it again from its row.
"""
from .registry import JobKind, Outcome, get_kind, register_kind
from .runner import JobAbandoned, JobCancelled, JobError

__all__ = ["JobAbandoned", "JobCancelled", "JobError", "JobKind", "Outcome", "get_kind", "register_kind"]
