"""后台任务 pages: one job (progress bar polled by static/js/job_progress.js), its status as JSON, 取消 / 重试,
the result download, and 我的任务."""
import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kongchuo import access
from kongchuo.audit import log_access
from kongchuo.models import AccessLog, Job

from .registry import get_kind
from .runner import file_days
from .services import job_cancel, job_mark_if_stale, job_retry

S = Job.Status


def _get(request, pk):
    job = access.get_visible_or_404(Job.objects.select_related("requester"), request.user, pk=pk)
    try:
        job_mark_if_stale(job)
    except OperationalError:  # SQLite (demo) while a long import holds the write lock: the next poll checks again
        pass
    return job


def eta_text(job, now=None):
    """预计剩余时间 from the rate so far (None until there is something to go on)."""
    if job.status != S.RUNNING or not job.started or not job.total or not job.done or job.done >= job.total:
        return None
    elapsed = ((now or timezone.now()) - job.started).total_seconds()
    if elapsed <= 0:
        return None
    left = (job.total - job.done) * elapsed / job.done
    if left < 5:
        return "预计还需几秒"
    if left < 60:
        return f"预计还需约 {int(round(left / 5) * 5) or 5} 秒"
    return f"预计还需约 {int(round(left / 60)) or 1} 分钟"


QUEUE_HINT_AFTER = 30  # seconds in 排队中 before the page suggests checking the worker


def display_message(job, now=None):
    if job.status == S.QUEUED and job.created and (
            (now or timezone.now()) - job.created).total_seconds() > QUEUE_HINT_AFTER:
        return (f"{job.message}（已排队超过 {QUEUE_HINT_AFTER} 秒：前面可能还有其他任务；如长时间未开始，"
                "请联系系统管理员检查后台任务进程。）")
    return job.message


def _next_url(job):
    spec = get_kind(job.kind)
    if job.status == S.DONE and spec is not None and spec.next_url is not None:
        try:
            return spec.next_url(job)
        except Exception:  # noqa: BLE001 - a next step that cannot be named is simply not offered
            return None
    return None


def status_of(job, user):
    own = job.requester_id == user.pk
    spec = get_kind(job.kind)
    return {
        "id": job.pk, "status": job.status, "status_label": job.get_status_display(), "done": job.done,
        "total": job.total, "percent": job.percent, "message": display_message(job), "eta": eta_text(job) or "",
        "active": job.is_active, "next_url": _next_url(job) if own else None,
        "auto_next": bool(own and spec and spec.auto_next and job.status == S.DONE),
        "has_file": bool(own and job.status == S.DONE and job.result_file.name),
        "can_cancel": own and job.is_active,
        "can_retry": bool(own and job.status == S.FAILED and spec and spec.retryable),
    }


def job_detail(request, pk):
    job = _get(request, pk)
    state = status_of(job, request.user)
    if state["auto_next"] and state["next_url"]:
        getattr(messages, job.result.get("level", "success"), messages.success)(request, job.message)
        return redirect(state["next_url"])
    return render(request, "kongchuo/job_detail.html", {
        "job": job, "state": state, "show_detail": job.requester_id != request.user.pk or access.can(
            request.user, "admin.manage"),
    })


@require_GET
def job_status(request, pk):
    job = _get(request, pk)
    response = JsonResponse(status_of(job, request.user))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def job_cancel_view(request, pk):
    job = _get(request, pk)
    try:
        job_cancel(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.info(request, "已取消。" if job.status == S.CANCELLED else "正在取消：任务将在下一个检查点停止。")
    return redirect("jobs:detail", pk=pk)


@require_POST
def job_retry_view(request, pk):
    job = _get(request, pk)
    try:
        job_retry(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("jobs:detail", pk=pk)


@require_GET
def job_download(request, pk):
    job = _get(request, pk)
    if not access.job_file_allowed(request.user, job) or job.status != S.DONE or not job.result_file.name:
        raise Http404("未找到")
    storage = job.result_file.storage
    if not storage.exists(job.result_file.name):
        raise Http404("文件已过保留期被删除")
    name = job.result_name or "result.bin"
    log_access(request=request, action=AccessLog.Action.EXPORT, obj=job, purpose=job.label[:200],
               scope="；".join(e.get("label", "") for e in job.scope)[:200], detail=f"下载任务结果：{name}")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage.open(job.result_file.name, "rb"), as_attachment=True, filename=name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def job_list(request):
    jobs = access.visible(Job.objects.select_related("requester"), request.user)
    show = request.GET.get("show")
    if show == "failed":
        jobs = jobs.filter(status=S.FAILED)
    else:
        jobs = jobs.filter(requester=request.user)
    page = Paginator(jobs, 30).get_page(request.GET.get("page"))
    for job in page:
        job.next_url = _next_url(job) if job.requester_id == request.user.pk else None
    return render(request, "kongchuo/job_list.html", {
        "page": page, "show": show, "can_see_failed": access.can(request.user, "admin.manage"),
        "file_days": file_days(),
    })


@require_POST
def job_selfcheck(request):
    """系统管理员: start 后台任务自检 (is a worker running, how long does a job wait for it)."""
    from .selfcheck import SELFCHECK_JOB
    from .services import job_start

    job = job_start(actor=request.user, kind=SELFCHECK_JOB)  # PermissionDenied (403) for anyone else
    return redirect("jobs:detail", pk=job.pk)


def running_count(user):
    if not getattr(user, "is_authenticated", False):
        return 0
    return Job.objects.filter(requester=user, status__in=Job.ACTIVE).count()


def job_url(job):
    return reverse("jobs:detail", args=[job.pk])
