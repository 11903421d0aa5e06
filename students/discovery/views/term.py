"""Term start: 报到 confirmation by class, the school's 未返校 check, and the 未返校学生花名册 with 去向."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kongchuo import access
from kongchuo.models import School, Term
from students.discovery import selectors
from students.discovery import term as services
from students.discovery.forms import NonReturnForm, ReturnedForm, TermCheckForm
from students.discovery.views.common import form_errors_from
from students.discovery.views.rollcall import _roster_class_or_404
from students.models.discovery import NonReturnEntry


def _term_or_none(request):
    today = timezone.localdate()
    term_id = request.POST.get("term") or request.GET.get("term")
    if term_id:
        try:
            return Term.objects.select_related("school_year").get(pk=int(term_id))
        except (Term.DoesNotExist, ValueError):
            return None
    return services.current_term(today)


def _without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ------------------------------------------------------------------ 报到
def arrival_index(request):
    if not access.can(request.user, "discovery.arrival"):
        raise PermissionDenied
    classes = list(selectors.rollcall_classes(request.user, "discovery.arrival"))
    if len(classes) == 1:
        return redirect("students:discovery_arrival_class", pk=classes[0].pk)
    return render(request, "students/discovery_arrival_index.html",
                  {"classes": classes, "term": services.current_term()})


def arrival_class(request, pk):
    school_class = _roster_class_or_404(request.user, pk, "discovery.arrival")
    term = _term_or_none(request)
    status = 200
    if term is None:
        messages.error(request, "尚未设置学期，请联系系统管理员在“系统管理 → 学期”中添加。")
        return render(request, "students/discovery_arrival.html", {"school_class": school_class, "term": None},
                      status=400 if request.method == "POST" else 200)
    submitted = None
    if request.method == "POST":
        try:
            arrived = {int(v) for v in request.POST.getlist("arrived")}
        except ValueError:
            arrived = None
        try:
            if arrived is None:
                raise ValidationError({"arrived": "提交的数据有误，请刷新页面后重新确认。"})
            result = services.term_arrival_save(term=term, school_class=school_class, arrived_ids=arrived,
                                                actor=request.user)
        except ValidationError as exc:
            for text in form_errors_from(exc):
                messages.error(request, text)
            status, submitted = 400, arrived or set()
        else:
            messages.success(request, f"已确认{school_class}报到：已报到 {result.arrived} 人，未报到 {result.missing} 人。")
            if result.returned:
                names = "、".join(e.student.name for e in result.returned)
                messages.info(request, f"{names} 已返校，未返校记录已关闭。")
            return redirect(f"{reverse('students:discovery_arrival_class', args=[pk])}?term={term.pk}")
    students, saved = selectors.arrival_sheet(term=term, school_class=school_class)
    rows = []
    for s in students:
        if submitted is not None:
            checked = s.pk in submitted
        else:
            checked = saved.get(s.pk, True)
        rows.append((s, checked, s.pk in saved and not saved[s.pk]))
    return render(request, "students/discovery_arrival.html", {
        "school_class": school_class, "term": term, "rows": rows, "confirmed": bool(saved),
        "n_checked": sum(1 for _, checked, _ in rows if checked),
    }, status=status)


# ------------------------------------------------------------------ the school's check
def term_check_index(request):
    if not access.can(request.user, "discovery.term_check"):
        raise PermissionDenied
    schools = [s for s in access.visible(School, request.user).order_by("code")
               if access.can(request.user, "discovery.term_check", s)]
    if len(schools) == 1:
        return redirect("students:discovery_term_check", pk=schools[0].pk)
    return render(request, "students/discovery_term_check_index.html", {"schools": schools})


def _finished_check(request, school):
    """The result of the user's own finished check job (?job=N, where the job's page sends them)."""
    from kongchuo.models import Job

    job_id = request.GET.get("job", "")
    if not job_id.isdigit():
        return None
    job = Job.objects.filter(pk=int(job_id), requester=request.user, kind=services.TERM_CHECK_JOB,
                             status=Job.Status.DONE, params__school=school.pk).first()
    return job.result if job is not None else None


def term_check(request, pk):
    school = access.get_visible_or_404(School, request.user, pk=pk)
    if not access.can(request.user, "discovery.term_check", school):
        raise PermissionDenied
    terms = Term.objects.select_related("school_year").order_by("-start_date")
    term = _term_or_none(request)
    form = TermCheckForm(request.POST or None, terms=terms, initial={"term": term})
    status, result = 200, _finished_check(request, school)
    if request.method == "POST":
        if form.is_valid():
            term = form.cleaned_data["term"]
            try:
                job = services.term_start_check_start(school=school, term=term, actor=request.user)
            except ValidationError as exc:
                form_errors_from(exc, form)
                status = 400
            else:
                return redirect("jobs:detail", pk=job.pk)  # the check runs in the background; then back here
        else:
            status = 400
    overview, counts = (selectors.term_check_overview(school=school, term=term) if term else ([], {}))
    return render(request, "students/discovery_term_check.html", {
        "school": school, "term": term, "form": form, "result": result, "overview": overview,
        "counts": {label: counts.get(value, 0) for value, label in NonReturnEntry.Status.choices},
        "open_count": sum(counts.get(v, 0) for v in NonReturnEntry.OPEN_STATUSES),
    }, status=status)


# ------------------------------------------------------------------ 未返校学生花名册
def nonreturn_list(request):
    if not access.can(request.user, "student.view"):
        raise PermissionDenied
    schools, _ = selectors.filter_choices(request.user)
    school = term = None
    if request.GET.get("school", "").isdigit():
        school = schools.filter(pk=int(request.GET["school"])).first()
    if request.GET.get("term", "").isdigit():
        term = Term.objects.filter(pk=int(request.GET["term"])).first()
    status = request.GET.get("status", "open")
    if status not in dict(NonReturnEntry.Status.choices) and status not in ("open", "all"):
        status = "open"
    q = request.GET.get("q", "").strip()[:50]
    entries = selectors.nonreturn_entries(request.user, school=school, term=term,
                                          status=None if status == "all" else status, q=q)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "students/discovery_nonreturn_list.html", {
        "page": page, "schools": schools, "terms": Term.objects.select_related("school_year").order_by("-start_date"),
        "school": school, "term": term, "status": status, "q": q, "statuses": NonReturnEntry.Status.choices,
        "querystring": _without_page(request),
    })


def nonreturn_edit(request, pk):
    entry = access.get_visible_or_404(
        NonReturnEntry.objects.select_related("student__school_class__grade", "school", "term__school_year",
                                              "created_by", "updated_by"), request.user, pk=pk)
    may_edit = access.can(request.user, "discovery.nonreturn_edit", entry)
    form = NonReturnForm(initial={"whereabouts": entry.whereabouts, "whereabouts_detail": entry.whereabouts_detail,
                                  "note": entry.note})
    returned_form = ReturnedForm(initial={"returned_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if "returned" in request.POST:
            returned_form = ReturnedForm(request.POST)
            if returned_form.is_valid():
                try:
                    services.nonreturn_mark_returned(entry=entry, returned_on=returned_form.cleaned_data["returned_on"],
                                                     actor=request.user)
                except ValidationError as exc:
                    form_errors_from(exc, returned_form)
                else:
                    messages.success(request, f"已登记 {entry.student.name} 返校。")
                    return redirect("students:discovery_nonreturn_edit", pk=entry.pk)
        else:
            form = NonReturnForm(request.POST)
            if form.is_valid():
                try:
                    services.nonreturn_update(entry=entry, actor=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    form_errors_from(exc, form)
                else:
                    messages.success(request, f"已保存 {entry.student.name} 的去向。")
                    return redirect("students:discovery_nonreturn_edit", pk=entry.pk)
        status = 400
    return render(request, "students/discovery_nonreturn_edit.html", {
        "entry": entry, "form": form, "returned_form": returned_form, "may_edit": may_edit,
        "history": entry.history.select_related("history_user").order_by("-history_date")[:20],
    }, status=status)

