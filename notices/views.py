"""Notice pages: list, detail with preview, issue from a case, 送达, 作废, PDF (single and batch), templates."""
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case
from kongchuo import access, lifecycle
from kongchuo.audit import log_access
from kongchuo.headers import allow_inline_styles
from kongchuo.models import AccessLog
from kongchuo.serving import stored_file_response
from notices import rendering, selectors, services
from notices.forms import NoticeCancelForm, NoticeIssueForm, NoticeServiceForm, NoticeTemplateForm
from notices.models import Notice, NoticeKind
from kongchuo.lifecycle import StaleState
from notices.services import NoticeError

BATCH_LIMIT = 1000


def _require(user, action, obj=None):
    if not access.can(user, action, obj):
        raise PermissionDenied


def _form_error(form, exc):
    field = exc.field if getattr(exc, "field", None) in form.fields else None
    form.add_error(field, exc.message)


def _filters(request):
    get = request.GET
    year = get.get("year", "")
    school = get.get("school", "")
    return {
        "status": get.get("status", ""), "kind": get.get("kind", ""), "q": get.get("q", "").strip()[:50],
        "school": int(school) if school.isdigit() else None, "year": int(year) if year.isdigit() else None,
        "overdue": get.get("overdue") == "1",
    }


@require_GET
def notice_list(request):
    _require(request.user, "notice.view")
    filters = _filters(request)
    notices = selectors.notice_list(request.user, **filters)
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    query = urlencode({k: ("1" if v is True else v) for k, v in filters.items() if v})
    return render(request, "notices/notice_list.html", {
        "page": page, "filters": filters, "query": query, "statuses": Notice.Status.choices,
        "kinds": NoticeKind.choices, "schools": selectors.schools_for(request.user), "now": timezone.now(),
        "can_template": access.can(request.user, "notice.template_edit"),
    })


@require_GET
def notice_detail(request, pk):
    notice = selectors.notice_get(request.user, pk)
    document = rendering.document_data(notice)
    service = getattr(notice, "service", None) if hasattr(notice, "service") else None
    preview = rendering.render_html([document], title=notice.number, preview=True)
    response = render(request, "notices/notice_detail.html", {
        "notice": notice, "preview": preview,
        "service": service, "now": timezone.now(),
        "can_serve": notice.status == Notice.Status.ISSUED and access.can(request.user, "notice.serve", notice),
        "can_cancel": notice.status == Notice.Status.ISSUED and access.can(request.user, "notice.cancel", notice),
        "can_print": access.can(request.user, "notice.print", notice),
        "cancel_form": NoticeCancelForm(),
    })
    return allow_inline_styles(response, preview)  # the srcdoc preview's own <style> blocks, by hash (CSP)


@require_http_methods(["GET", "POST"])
def notice_issue(request, case_pk):
    case = access.get_visible_or_404(Case.objects.alive().select_related("student", "school"), request.user,
                                     pk=case_pk)
    _require(request.user, "notice.issue", case)
    problems = services.issue_problems(case)
    guardians = services.guardians_of(case.student)
    form = NoticeIssueForm(request.POST or None, guardians=guardians, case=case)
    if request.method == "POST" and not problems and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.notice_issue(case=case, actor=request.user, kind=data["kind"],
                                           guardian=data["guardian"], dropout_date=data["dropout_date"],
                                           red_header=data["red_header"])
        except NoticeError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已下达《{notice.title}》{notice.number}。请打印后送达，并登记送达情况。")
            return redirect("notices:detail", notice.pk)
    return render(request, "notices/notice_issue.html", {
        "case": case, "form": form, "problems": problems,
        "visits": list(services.alive_visits(case).order_by("visit_date")),
        "min_visits": services.min_visits(),
    }, status=200 if request.method == "GET" or not form.errors else 400)


@require_http_methods(["GET", "POST"])
def notice_serve(request, pk):
    notice = selectors.notice_get(request.user, pk)
    if request.method == "POST":
        stale = lifecycle.posted_is_stale(request.POST, notice, ("status",))
        if stale is not None:  # recorded meanwhile (a double click, a colleague): say by whom and when
            return lifecycle.refuse(request, stale, "notices:detail", notice.pk)
    _require(request.user, "notice.serve", notice)
    if notice.status != Notice.Status.ISSUED:
        messages.error(request, services.ERR_NOT_SERVABLE.format(status=notice.get_status_display()))
        return redirect("notices:detail", notice.pk)
    initial = {"served_at": timezone.localtime().replace(second=0, microsecond=0),
               "recipient_name": notice.content.get("guardian_name", ""),
               "recipient_relation": notice.content.get("guardian_relation", ""),
               "place": notice.content.get("address", ""), "deliverers": request.user.display_name,
               "method": "in_person"}
    form = NoticeServiceForm(request.POST or None, request.FILES or None, initial=initial)
    lifecycle.add_expected_fields(form, notice, ("status",))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not k.startswith(lifecycle.FIELD_PREFIX)}
        try:
            services.notice_record_service(notice=notice, actor=request.user,
                                           expected=lifecycle.expected_from(request.POST, ("status",)), **data)
        except StaleState as exc:
            return lifecycle.refuse(request, exc, "notices:detail", notice.pk)
        except NoticeError as exc:
            _form_error(form, exc)
        else:
            notice.refresh_from_db()
            messages.success(request, f"已登记送达。限期至 {notice.deadline_date:%Y年%m月%d日}，"
                                      f"逾期未返校将自动上报管理区。")
            return redirect("notices:detail", notice.pk)
    return render(request, "notices/notice_form.html", {
        "notice": notice, "form": form, "title": f"登记送达：{notice.number}", "files": True, "submit": "保存送达记录",
        "intro": "送达后开始计算返校期限（自送达次日起按日历日计算）。请上传受送达人签名的送达回证照片。",
    }, status=200 if request.method == "GET" else 400)


@require_POST
def notice_cancel(request, pk):
    notice = selectors.notice_get(request.user, pk)
    stale = lifecycle.posted_is_stale(request.POST, notice, ("status",))
    if stale is not None:  # served or cancelled meanwhile
        return lifecycle.refuse(request, stale, "notices:detail", notice.pk)
    _require(request.user, "notice.cancel", notice)
    form = NoticeCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.ERR_CANCEL_REASON)
        return redirect("notices:detail", notice.pk)
    try:
        services.notice_cancel(notice=notice, actor=request.user, reason=form.cleaned_data["reason"],
                               expected=lifecycle.expected_from(request.POST, ("status",)))
    except StaleState as exc:
        return lifecycle.refuse(request, exc, "notices:detail", notice.pk)
    except NoticeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{notice.number} 已作废，编号保留不再使用。")
    return redirect("notices:detail", notice.pk)


def _pdf_response(data, filename, *, download):
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def notice_pdf(request, pk):
    from urllib.parse import quote

    notice = selectors.notice_get(request.user, pk)
    _require(request.user, "notice.print", notice)
    data = rendering.cached_pdf(notice)
    download = request.GET.get("download") == "1"
    log_access(request=request, action=AccessLog.Action.PRINT, obj=notice, scope=notice.school.name,
               purpose="下载通知书 PDF" if download else "打印/预览通知书 PDF",
               detail=f"{notice.number} {notice.content.get('student_name', '')}")
    return _pdf_response(data, quote(f"{notice.number}.pdf"), download=download)


@require_GET
def notice_batch_pdf(request):
    from urllib.parse import quote

    _require(request.user, "notice.print")
    filters = _filters(request)
    notices = list(access.filter_can(selectors.notice_list(request.user, **filters), request.user, "notice.print")
                   .order_by("school__code", "year", "seq")[:BATCH_LIMIT + 1])
    if not notices:
        messages.error(request, "没有符合条件的通知书可以打印。")
        return redirect(f"{_list_url()}?{request.GET.urlencode()}")
    if len(notices) > BATCH_LIMIT:
        messages.error(request, f"一次最多批量打印 {BATCH_LIMIT} 份，请按学校或状态筛选后再打印。")
        return redirect(f"{_list_url()}?{request.GET.urlencode()}")
    from notices import jobs

    if jobs.needs_job(notices):  # many never-rendered notices: render on the worker, download from the job page
        job = jobs.batch_pdf_start(actor=request.user, notices=notices, title=f"劝返通知书（{len(notices)} 份）")
        return redirect("jobs:detail", pk=job.pk)
    data = rendering.batch_pdf(notices, title=f"劝返通知书（{len(notices)} 份）")
    schools = sorted({n.school.name for n in notices})
    log_access(request=request, action=AccessLog.Action.PRINT, object_type="notices.Notice",
               object_id=f"{len(notices)} 份", scope="、".join(schools)[:200], purpose="批量打印通知书",
               detail="\n".join(n.number for n in notices))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _pdf_response(data, quote(f"通知书批量打印-{stamp}.pdf"), download=False)


def _list_url():
    from django.urls import reverse

    return reverse("notices:list")


@require_GET
def notice_receipt(request, pk):
    notice = selectors.notice_get(request.user, pk)
    service = getattr(notice, "service", None) if hasattr(notice, "service") else None
    if service is None or not service.receipt_scan:
        raise Http404("没有上传送达回证")
    log_access(request=request, action=AccessLog.Action.PRINT, obj=service, scope=notice.school.name,
               purpose="查看签收的送达回证", detail=notice.number)
    return stored_file_response(service.receipt_scan, filename=f"送达回证-{notice.pk}")


@require_GET
def template_list(request):
    _require(request.user, "notice.template_edit")
    templates = list(selectors.templates_for(request.user))
    current = {}
    for template in templates:
        current.setdefault(template.kind, template)
    kinds = [(value, label, current.get(value)) for value, label in NoticeKind.choices]
    return render(request, "notices/template_list.html", {"templates": templates, "kinds": kinds})


@require_http_methods(["GET", "POST"])
def template_edit(request, kind):
    _require(request.user, "notice.template_edit")
    if kind not in NoticeKind.values:
        raise Http404("未找到")
    area = _office_area(request.user)
    current = services.notice_template_current(area=area, kind=kind)
    form = NoticeTemplateForm(request.POST or None, initial={
        "title": current.title, "body": current.body, "receipt_note": current.receipt_note})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.notice_template_save(area=area, kind=kind, actor=request.user, **form.cleaned_data)
        except NoticeError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已保存为第 {saved.version} 版。已下达的通知书仍按原版本重印。")
            return redirect("notices:templates")
    return render(request, "notices/notice_form.html", {
        "form": form, "title": f"修订模板：{NoticeKind(kind).label}（当前第 {current.version} 版）", "submit": "保存为新版本",
        "intro": "保存后生成新版本，此后下达的通知书使用新版本；已下达的通知书仍按其原版本重印。",
    }, status=200 if request.method == "GET" else 400)


def _office_area(user):
    """The 管理区 whose wording this user edits (the roles allowed to edit are bound to an area)."""
    for assignment in access.get_scope(user).of_roles(access.ACTIONS["notice.template_edit"]):
        if assignment.area_id:
            return assignment.area
    raise PermissionDenied
