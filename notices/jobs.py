"""Batch notice PDFs as a background job (kongchuo/jobs) when many notices have never been rendered.

A batch of notices whose PDFs are all cached is only a merge (well under 2 s) and stays in the request; more than
INLINE_RENDER_MAX fresh notices (~0.1–0.2 s each to render, 500 fresh ≈ 80 s) go to the worker, and the job's page
offers the merged PDF for download (only to the requester; every download is access-logged).
Registered from NoticesConfig.ready.
"""
from django.utils import timezone

from kongchuo import access
from kongchuo.audit import log_access
from kongchuo.jobs import JobError, Outcome, register_kind
from kongchuo.jobs.services import job_start
from kongchuo.models import AccessLog
from notices import rendering
from notices.models import Notice

BATCH_JOB = "notices.batch_pdf"
INLINE_RENDER_MAX = 10  # fresh (never rendered) notices a request may render itself
STEP = 80  # notices rendered between two progress points (render_many spreads them over its worker processes)


def needs_job(notices):
    return sum(1 for n in notices if not n.pdf) > INLINE_RENDER_MAX


def batch_pdf_start(*, actor, notices, title):
    """Start the job that renders and merges `notices` (already filtered by the caller's scope)."""
    fresh = sum(1 for n in notices if not n.pdf)
    return job_start(actor=actor, kind=BATCH_JOB, label=f"批量打印通知书（{len(notices)} 份，{fresh} 份首次生成）",
                     params={"notices": [n.pk for n in notices], "title": title})


def run_batch(*, job, progress):
    ids = job.params["notices"]
    # the scope is checked again now: a role removed (or a notice moved out of it) since the request yields nothing
    notices = list(access.filter_can(Notice.objects.filter(pk__in=ids), job.requester, "notice.print")
                   .select_related("school").order_by("school__code", "year", "seq"))
    if len(notices) != len(ids):
        raise JobError("部分通知书已不在您的打印范围内（角色或范围可能已变更），未生成 PDF：请重新筛选后再打印。")
    missing = [n for n in notices if not n.pdf]
    done = len(notices) - len(missing)
    progress(done, total=len(notices), message=f"正在生成通知书 PDF：{len(missing)} 份首次生成…")
    for start in range(0, len(missing), STEP):
        part = missing[start:start + STEP]
        for notice, data in zip(part, rendering.render_many(part)):
            rendering.store_pdf(notice, data)
        done += len(part)
        progress(done, message=f"已生成 {done} / {len(notices)} 份，正在继续…")
    progress(done, message="正在合并为一个 PDF…")
    data = rendering.batch_pdf(notices, title=job.params.get("title") or f"劝返通知书（{len(notices)} 份）")
    schools = sorted({n.school.name for n in notices})
    log_access(user=job.requester, action=AccessLog.Action.PRINT, object_type="notices.Notice",
               object_id=f"{len(notices)} 份", scope="、".join(schools)[:200], purpose="批量打印通知书（后台任务）",
               detail="\n".join(n.number for n in notices))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Outcome(message=f"已生成 {len(notices)} 份通知书的 PDF，可以下载打印。",
                   file_name=f"通知书批量打印-{stamp}.pdf", file_content=data)


def register():
    register_kind(BATCH_JOB, label="批量打印通知书", action="notice.print", run=run_batch)
