"""Case list, detail, opening and every lifecycle action (one form each, one service each)."""
import datetime
from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cases import forms, selectors, services, transitions
from cases.models import Case, CaseClosure, FollowUp
from cases.views.common import FAILED, require, run, school_colleagues
from kongchuo import access, lifecycle
from kongchuo.lifecycle import StaleState
from kongchuo.serving import stored_file_response
from students.models import Student


def case_list(request):
    require(request.user, "case.view")
    filters = selectors.CaseFilters.from_query(request.GET, selectors.default_list_view(request.user))
    now = timezone.now()
    page = Paginator(selectors.case_list(request.user, filters, now=now), 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/case_list.html", {
        "page": page, "filters": filters, "now": now, "views": selectors.LIST_VIEWS, "query": query.urlencode(),
        "statuses": Case.Status.choices, "stages": Case.Stage.choices, "reasons": Case.Reason.choices,
        "triggers": Case.Trigger.choices, "can_open": access.can(request.user, "case.open"),
    })


def _available_moves(user, case):
    return [m for m in transitions.moves_from(case.status) if not m.service and access.can(user, m.action, case)]


def _can_many(user, case, pairs):
    """access.can for many actions on one case: one scope query per distinct set of the user's roles involved."""
    roles = access.roles_of(user)
    memo, result = {}, {}
    for name, action in pairs:
        key = frozenset(roles & access.ACTIONS[action])
        if key not in memo:
            memo[key] = access.can(user, action, case)
        result[name] = memo[key]
    return result


def case_detail(request, pk):
    case = selectors.case_for_detail(request.user, pk)
    user = request.user
    today = timezone.localdate()
    can = _can_many(user, case, (
        ("act", "case.act"), ("edit", "case.edit"), ("visit", "case.visit"), ("escalate", "case.escalate"),
        ("return_down", "case.return_down"), ("record_return", "case.record_return"),
        ("retention", "case.retention"), ("followup", "case.followup"), ("request_close", "case.request_close"),
        ("review_close", "case.review_close"), ("exemption", "exemption.apply"), ("assistance", "assistance.record"),
        ("plan", "homeschool.plan"), ("delete", "case.close_special")))
    at_stage = case.owner_id == user.pk or access.acts_at_case_stage(user, case.stage)
    followups = list(case.followups.all())
    pending_closure = next((c for c in case.closures.all() if c.status == CaseClosure.Status.PENDING), None)
    closure_problems = services.closure_problems(case, today) \
        if case.status in (Case.Status.RETENTION, Case.Status.WARNING) else []
    return render(request, "cases/case_detail.html", {
        "case": case, "can": can, "today": today, "now": timezone.now(),
        "moves": _available_moves(user, case),
        "can_escalate": can["escalate"] and at_stage and case.next_stage and case.is_out_of_school,
        "can_return_down": can["return_down"] and at_stage and case.previous_stage and not case.is_closed,
        "can_record_return": can["record_return"] and transitions.move_for(case.status, Case.Status.RETURNED),
        "can_retention": can["retention"] and case.status == Case.Status.RETURNED,
        "can_request_close": can["request_close"] and not closure_problems and pending_closure is None
        and case.status in (Case.Status.RETENTION, Case.Status.WARNING),
        "closure_problems": closure_problems,
        "pending_closure": pending_closure,
        "visits": list(case.visits.all()),
        "followups": [f for f in followups if f.due_date <= today + datetime.timedelta(days=30)],
        "followups_later": [f for f in followups if f.due_date > today + datetime.timedelta(days=30)],
        "missed": sum(1 for f in followups if f.is_overdue(today)),
        "events": list(case.events.all()),
        "exemptions": case.student.exemptions.filter(is_deleted=False).order_by("-applied_at"),
        "assistance": case.student.assistance_records.filter(is_deleted=False).order_by("-date")[:10],
        "plans": case.student.teaching_plans.filter(is_deleted=False),
    })


def student_search(request):
    """立案: find a visible student (by name, pinyin or initials)."""
    require(request.user, "case.open")
    form = forms.StudentSearchForm(request.GET or None)
    results = []
    q = (request.GET.get("q") or "").strip()
    if q:
        results = list(Student.objects.visible_to(request.user)
                       .filter(Q(name__contains=q) | Q(name_pinyin__startswith=q.lower())
                               | Q(name_initials__startswith=q.lower()) | Q(student_number=q))
                       .select_related("school", "school_class__grade")
                       .prefetch_related("cases")[:20])
        for student in results:
            student.open_case = next((c for c in student.cases.all() if not c.is_closed and not c.is_deleted), None)
    return render(request, "cases/student_search.html", {"form": form, "results": results, "q": q})


def student_hub(request, student_pk):
    """Everything the cases app holds for one student, with the actions the user may take."""
    student = access.get_visible_or_404(Student.objects.select_related("school", "school_class__grade", "village"),
                                        request.user, pk=student_pk)
    user = request.user
    cases = list(Case.objects.visible_to(user).alive().filter(student=student).order_by("-opened_at"))
    return render(request, "cases/student_hub.html", {
        "student": student, "cases": cases, "open_case": next((c for c in cases if not c.is_closed), None),
        "visits": selectors.visits_for(user).filter(student=student)[:20],
        "exemptions": selectors.exemptions_for(user).filter(student=student),
        "plans": selectors.plans_for(user).filter(student=student),
        "assistance": selectors.assistance_for(user, student),
        "can": {"open": access.can(user, "case.open", student), "visit": access.can(user, "visit.log", student),
                "exemption": access.can(user, "exemption.apply", student),
                "plan": access.can(user, "homeschool.plan", student),
                "assistance": access.can(user, "assistance.record", student)},
    })


@require_http_methods(["GET", "POST"])
def case_open(request, student_pk):
    student = access.get_visible_or_404(Student, request.user, pk=student_pk)
    require(request.user, "case.open", student)
    existing = Case.objects.open().filter(student=student).first()
    if existing is not None and access.can(request.user, "case.view", existing):
        messages.info(request, f"{student.name} 已有未结案的个案，已为您打开。")
        return redirect("cases:detail", existing.pk)
    form = forms.CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        case = run(form, services.case_open, student=student, trigger=d["trigger"], actor=request.user,
                   reasons=d["reasons"], note=d["note"], whereabouts=d["whereabouts"], dropout_date=d["dropout_date"])
        if case is not FAILED:
            messages.success(request, f"已为 {student.name} 立案。")
            return redirect("cases:detail", case.pk)
    return render(request, "cases/form.html", {"form": form, "student": student, "title": f"立案：{student.name}",
                                               "submit": "立案"})


# ---------------------------------------------------------------------------------------------- actions
@dataclass
class Action:
    """One case action page: who may see it, the form, and the single service call it makes."""

    title: object  # text, or (case) -> text
    action: str
    form: Callable
    call: Callable  # (request, case, cleaned_data) -> result (service call)
    submit: str = "提交"
    done: str = "已保存。"
    intro: str = ""
    files: bool = False
    when: Callable = None  # (case) -> message why the action does not apply now, or "" when it does
    then: str = "cases:detail"  # where to go after success (with the case pk unless it is the list)
    # A move: the case fields whose shown value the page sends back (hidden `expected_<field>`); `call` then
    # takes the expected state as a 4th argument and the service refuses it if the case moved meanwhile.
    expects: tuple = ()


def _not_closed(case):
    return "个案已结案。" if case.is_closed else ""


def _can_return(case):
    return "" if transitions.move_for(case.status, Case.Status.RETURNED) else \
        f"个案当前为“{case.get_status_display()}”，无需登记复学。"


def _can_escalate(case):
    if not case.is_out_of_school:
        return f"个案当前为“{case.get_status_display()}”，无需上报。"
    return "" if case.next_stage else "个案已在最高层级（办事处）。"


def _can_return_down(case):
    if case.is_closed:
        return "个案已结案。"
    return "" if case.previous_stage else "个案已在最低层级（教师）。"


def _can_start_retention(case):
    return "" if case.status == Case.Status.RETURNED else "登记复学后才能安排保学跟踪。"


def _can_request_close(case):
    problems = services.closure_problems(case, timezone.localdate())
    return ("不能申请销号：" + "；".join(problems)) if problems else ""


def _colleagues(request, case):
    return school_colleagues(request.user, case.school or case.student.school)


def _retention_form(request, case, data):
    form = forms.RetentionForm(data, colleagues=_colleagues(request, case))
    minimum = services.retention_minimum_end(case.return_date or timezone.localdate())
    form.fields["until"].help_text = f"不少于一个学期：最早 {minimum:%Y-%m-%d}；留空即按此日期"
    return form


ACTIONS = {
    "edit": Action(
        "修改个案信息", "case.edit",
        lambda request, case, data: forms.CaseEditForm(data, initial={
            "reasons": case.reason_codes, "whereabouts": case.whereabouts, "dropout_date": case.dropout_date,
            "note": case.note}),
        lambda request, case, d: services.case_update(
            case=case, actor=request.user, reasons=d["reasons"], whereabouts=d["whereabouts"],
            dropout_date=d["dropout_date"], note=d["note"]), submit="保存", when=_not_closed),
    "status": Action(
        "变更状态", "case.view",
        lambda request, case, data: forms.TransitionForm(data, moves=_available_moves(request.user, case)),
        lambda request, case, d, expected: services.case_transition(
            case=case, to_status=d["to_status"], actor=request.user, reason=d["reason"], expected=expected),
        submit="确认变更", done="状态已变更。", expects=("status",)),
    "escalate": Action(
        lambda case: f"上报到{case.next_stage_label}", "case.escalate",
        lambda request, case, data: forms.EscalateForm(data, candidates=access.case_tier_candidates(
            case.next_stage, case.student) if case.next_stage else ()),
        lambda request, case, d, expected: services.case_escalate(
            case=case, actor=request.user, reason=d["reason"], to_user=d["to_user"], expected=expected),
        submit="上报", done="已上报，接收人已收到站内消息。", when=_can_escalate, expects=("stage",),
        intro="上报后个案由上一层级负责，并开始计算该层级的办理期限。"),
    "return_down": Action(
        lambda case: f"退回到{Case.Stage(case.previous_stage).label}" if case.previous_stage else "退回",
        "case.return_down",
        lambda request, case, data: forms.ReturnDownForm(data),
        lambda request, case, d, expected: services.case_return_down(
            case=case, actor=request.user, instructions=d["instructions"], expected=expected),
        submit="退回", done="已退回，并通知下一层级负责人。", when=_can_return_down, expects=("stage",)),
    "return": Action(
        "登记复学", "case.record_return",
        lambda request, case, data: forms.ReturnForm(data),
        lambda request, case, d, expected: services.case_record_return(
            case=case, actor=request.user, return_date=d["return_date"], placement=d["placement"], note=d["note"],
            expected=expected),
        submit="登记复学", done="已登记复学。请安排结对帮扶和保学跟踪。", when=_can_return, expects=("status",),
        intro="学校应做到应收尽收，不得拒收任何愿意复学的适龄儿童少年，只需选择安置方式。"),
    "retention": Action(
        "保学安排（结对帮扶）", "case.retention",
        lambda request, case, data: _retention_form(request, case, data),
        lambda request, case, d, expected: services.case_start_retention(
            case=case, actor=request.user, mentor=d["mentor"], until=d["until"],
            visit_every_days=d["visit_every_days"], counselling_every_days=d["counselling_every_days"],
            expected=expected),
        submit="开始保学跟踪", done="已安排结对帮扶和跟踪计划。", when=_can_start_retention, expects=("status",)),
    "close": Action(
        "申请销号", "case.request_close",
        lambda request, case, data: forms.ClosureRequestForm(data, request.FILES or None),
        lambda request, case, d: services.case_closure_request(
            case=case, actor=request.user, attended_days=d["attended_days"], evidence_note=d["evidence_note"],
            evidence_file=d["evidence_file"]),
        submit="提交教育办审核", done="销号申请已提交教育办审核。", files=True, when=_can_request_close),
    "delete": Action(
        "删除个案（误建、重复）", "case.close_special",
        lambda request, case, data: forms.DeleteForm(data),
        lambda request, case, d: services.case_soft_delete(case=case, actor=request.user, reason=d["reason"]),
        submit="删除", done="个案已删除（数据保留备查）。", then="cases:list"),
    "note": Action(
        "添加记录", "case.act",
        lambda request, case, data: forms.NoteForm(data),
        lambda request, case, d: services.case_add_note(case=case, actor=request.user, text=d["text"]),
        submit="保存"),
}


@require_http_methods(["GET", "POST"])
def case_action(request, pk, name):
    spec = ACTIONS.get(name)
    if spec is None:
        raise Http404
    case = access.get_visible_or_404(Case.objects.alive().select_related("student__school", "school", "owner"),
                                     request.user, pk=pk)
    if request.method == "POST" and spec.expects:
        # A move whose case moved since the page was shown (the other click won): say who did what, before the
        # role and state checks that would now answer 403 or "无需上报".
        stale = lifecycle.posted_is_stale(request.POST, case, spec.expects)
        if stale is not None:
            return lifecycle.refuse(request, stale, "cases:detail", case.pk)
    require(request.user, spec.action, case)
    problem = spec.when(case) if spec.when else ""
    if problem:
        messages.info(request, problem)
        return redirect("cases:detail", case.pk)
    form = spec.form(request, case, request.POST if request.method == "POST" else None)
    if spec.expects:
        lifecycle.add_expected_fields(form, case, spec.expects)
    if request.method == "POST" and form.is_valid():
        try:
            if spec.expects:
                expected = lifecycle.expected_from(request.POST, spec.expects)
                result = run(form, lambda **_: spec.call(request, case, form.cleaned_data, expected))
            else:
                result = run(form, lambda **_: spec.call(request, case, form.cleaned_data))
        except StaleState as exc:  # lost the race under the row lock, or a page without its state
            return lifecycle.refuse(request, exc, "cases:detail", case.pk)
        if result is not FAILED:
            messages.success(request, spec.done)
            return redirect(spec.then) if spec.then == "cases:list" else redirect(spec.then, case.pk)
    title = spec.title(case) if callable(spec.title) else spec.title
    return render(request, "cases/form.html", {"form": form, "case": case, "student": case.student,
                                               "title": title, "submit": spec.submit, "intro": spec.intro,
                                               "files": spec.files})


@require_http_methods(["GET", "POST"])
def followup_done(request, pk):
    followup = access.get_visible_or_404(FollowUp.objects.select_related("case__student"), request.user, pk=pk)
    case = followup.case
    require(request.user, "case.followup", case)
    form = forms.FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if run(form, services.followup_complete, followup=followup, actor=request.user, done_on=d["done_on"],
               note=d["note"]) is not FAILED:
            messages.success(request, "已登记跟踪帮扶。")
            return redirect("cases:detail", case.pk)
    return render(request, "cases/form.html", {
        "form": form, "case": case, "student": case.student, "submit": "保存",
        "title": f"登记{followup.get_kind_display()}（计划 {followup.due_date:%Y-%m-%d}）"})


@require_http_methods(["GET", "POST"])
def closure_review(request, pk):
    closure = access.get_visible_or_404(CaseClosure.objects.select_related("case__student", "requested_by"),
                                        request.user, pk=pk)
    case = closure.case
    if request.method == "POST":
        stale = lifecycle.posted_is_stale(request.POST, closure, ("status",))
        if stale is not None:  # another reviewer decided first
            return lifecycle.refuse(request, stale, "cases:detail", case.pk)
    require(request.user, "case.review_close", case)
    form = lifecycle.add_expected_fields(forms.ClosureReviewForm(request.POST or None), closure, ("status",))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            result = run(form, services.case_closure_review, closure=closure, actor=request.user,
                         approve=d["decision"] == "approve", comment=d["comment"],
                         expected=lifecycle.expected_from(request.POST, ("status",)))
        except StaleState as exc:
            return lifecycle.refuse(request, exc, "cases:detail", case.pk)
        if result is not FAILED:
            messages.success(request, "已审核。")
            return redirect("cases:detail", case.pk)
    return render(request, "cases/closure_review.html", {
        "form": form, "closure": closure, "case": case, "student": case.student,
        "problems": services.closure_problems(case, timezone.localdate())})


def closure_file(request, pk):
    closure = access.get_visible_or_404(CaseClosure, request.user, pk=pk)
    if not closure.evidence_file:
        raise Http404
    return stored_file_response(closure.evidence_file, filename=f"销号证明材料-{closure.pk}")
