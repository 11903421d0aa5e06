"""后台任务自检: a job that does nothing but report how long it waited for a worker. The system administrator
starts it from 我的任务 to see that `db_worker` runs; the benchmark measures the queue wait with it."""
from .registry import Outcome, register_kind

SELFCHECK_JOB = "kongchuo.selfcheck"


def run_selfcheck(*, job, progress):
    waited = (job.started - job.created).total_seconds()
    progress(1, total=1)
    return Outcome(message=f"后台任务进程工作正常：任务排队 {waited:.2f} 秒后开始执行。", result={"queue_wait": waited})


def register():
    register_kind(SELFCHECK_JOB, label="后台任务自检", action="admin.manage", run=run_selfcheck, retryable=True)
