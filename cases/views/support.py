"""Exemptions 缓学/免学, 送教上门 plans and sessions, assistance records, inbox."""
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from cases import forms, selectors, services
from cases.models import Exemption, Notification, SessionPhoto, TeachingPlan
from cases.views.common import FAILED, require, run, school_colleagues
from kongchuo import access, lifecycle
from kongchuo.lifecycle import StaleState
from kongchuo.models import School
from kongchuo.serving import stored_file_response
from students.models import Student


# ---------------------------------------------------------------------------------------------- 缓学/免学
def exemption_list(request):
    require(request.user, "exemption.view")
    status = request.GET.get("status", "pending")
    page = Paginator(selectors.exemptions_for(request.user, status), 30).get_page(request.GET.get("page"))
    return render(request, "cases/exemption_list.html", {"page": page, "status": status,
                                                         "statuses": Exemption.Status.choices})


@require_http_methods(["GET", "POST"])
def exemption_new(request, student_pk):
    student = access.get_visible_or_404(Student, request.user, pk=student_pk)
    require(request.user, "exemption.apply", student)
    form = forms.ExemptionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        exemption = run(form, services.exemption_apply, student=student, actor=request.user, kind=d["kind"],
                        reason=d["reason"], guardian_name=d["guardian_name"], application_file=d["application_file"],
                        assessment_kind=d["assessment_kind"], assessment_file=d["assessment_file"],
                        start_date=d["start_date"], end_date=d["end_date"])
        if exemption is not FAILED:
            messages.success(request, "申请已提交，等待村（社区）审批。")
            return redirect("cases:exemption_detail", exemption.pk)
    return render(request, "cases/form.html", {
        "form": form, "student": student, "title": f"缓学/免学申请：{student.name}", "submit": "提交申请",
        "files": True, "intro": "须由法定监护人提出书面申请，附医院诊断证明或残疾评定材料，"
                                "经村（社区）、办事处批准后报教育办备案。"})


@require_http_methods(["GET", "POST"])
def exemption_detail(request, pk):
    exemption = access.get_visible_or_404(
        Exemption.objects.alive().select_related("student__school", "applied_by", "case"), request.user, pk=pk)
    flow = selectors.exemption_waiting_for(request.user, exemption)
    form = forms.ExemptionDecisionForm(request.POST or None) if flow else None
    if form is not None:
        lifecycle.add_expected_fields(form, exemption, ("status",))
    if request.method == "POST":
        # The step the page showed was decided meanwhile (a double click, a colleague): say by whom, not 403.
        stale = lifecycle.posted_is_stale(request.POST, exemption, ("status",))
        if stale is not None:
            return lifecycle.refuse(request, stale, "cases:exemption_detail", exemption.pk)
        if flow is None:
            if exemption.is_pending:  # visible, but this step is not the user's (e.g. a school for the village)
                raise PermissionDenied
            messages.error(request, f"该申请已办结（{exemption.get_status_display()}）。")
            return redirect("cases:exemption_detail", exemption.pk)
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = run(form, services.exemption_decide, exemption=exemption, actor=request.user,
                             approve=d["decision"] == "approve", comment=d["comment"],
                             expected=lifecycle.expected_from(request.POST, ("status",)))
            except StaleState as exc:
                return lifecycle.refuse(request, exc, "cases:exemption_detail", exemption.pk)
            if result is not FAILED:
                messages.success(request, "审批意见已记录。")
                return redirect("cases:exemption_detail", exemption.pk)
    return render(request, "cases/exemption_detail.html", {
        "exemption": exemption, "form": form, "flow": flow,
        "case_visible": bool(exemption.case_id) and access.can(request.user, "case.view", exemption.case),
        "can_documents": access.can(request.user, "document.view_sensitive", exemption.student),
        "steps": exemption.steps.select_related("actor")})


def exemption_file(request, pk, which):
    exemption = access.get_visible_or_404(Exemption.objects.alive().select_related("student"), request.user, pk=pk)
    field = {"application": exemption.application_file, "assessment": exemption.assessment_file}.get(which)
    if not field:
        raise Http404
    require(request.user, "document.view_sensitive", exemption.student)  # 诊断证明, 残疾评定: not for 科任教师
    label = {"application": "监护人书面申请", "assessment": "诊断或评定材料"}[which]
    return stored_file_response(field, filename=f"{label}-{exemption.pk}")


# ---------------------------------------------------------------------------------------------- 送教上门
def plan_list(request):
    """Roster of 送教上门 children per school."""
    require(request.user, "homeschool.view")
    schools = access.visible(School, request.user)
    school_id = request.GET.get("school", "")
    school_id = int(school_id) if school_id.isdigit() else None
    plans = selectors.plans_for(request.user, school_id)
    today = timezone.localdate()
    return render(request, "cases/plan_list.html", {"plans": plans, "schools": schools, "school_id": school_id,
                                                    "today": today})


@require_http_methods(["GET", "POST"])
def plan_new(request, student_pk):
    student = access.get_visible_or_404(Student.objects.select_related("school"), request.user, pk=student_pk)
    require(request.user, "homeschool.plan", student)
    form = forms.PlanForm(request.POST or None, colleagues=school_colleagues(request.user, student.school))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        plan = run(form, services.plan_create, student=student, actor=request.user, disability=d["disability"],
                   goals=d["goals"], schedule_days=d["schedule_days"], schedule_note=d["schedule_note"],
                   session_minutes=d["session_minutes"], teachers=list(d["teachers"]), start_date=d["start_date"],
                   end_date=d["end_date"])
        if plan is not FAILED:
            messages.success(request, "送教上门方案已建立。")
            return redirect("cases:plan_detail", plan.pk)
    return render(request, "cases/form.html", {
        "form": form, "student": student, "title": f"送教上门方案（一人一案）：{student.name}", "submit": "保存方案",
        "intro": "适用于确实不能到校就读的 6 至 15 周岁重度残疾儿童少年；学生保留学籍。"})


def plan_detail(request, pk):
    plan = access.get_visible_or_404(
        TeachingPlan.objects.alive().select_related("student__school_class__grade", "school", "created_by")
        .prefetch_related("teachers"), request.user, pk=pk)
    return render(request, "cases/plan_detail.html", {
        "plan": plan, "sessions": selectors.sessions_for(plan),
        "months": selectors.planned_vs_delivered(plan, until=timezone.localdate()),
        "can_log": access.can(request.user, "homeschool.log", plan)})


@require_http_methods(["GET", "POST"])
def session_new(request, pk):
    plan = access.get_visible_or_404(TeachingPlan.objects.alive().select_related("student"), request.user, pk=pk)
    require(request.user, "homeschool.log", plan)
    if request.method == "POST":
        form = forms.SessionForm(request.POST, request.FILES, plan=plan)
        if form.is_valid():
            d = form.cleaned_data
            result = run(form, services.session_log, plan=plan, actor=request.user, date=d["date"],
                         duration_minutes=d["duration_minutes"], content=d["content"], teacher=d["teacher"],
                         photos=d["photos"], idempotency_key=d["idempotency_key"])
            if result is not FAILED:
                messages.success(request, "送教记录已保存。" if result[1] else "这条送教记录此前已保存。")
                return redirect("cases:plan_detail", plan.pk)
    else:
        form = forms.SessionForm(initial={"idempotency_key": uuid.uuid4(), "teacher": request.user.pk}, plan=plan)
    return render(request, "cases/form.html", {"form": form, "student": plan.student, "files": True,
                                               "title": f"登记送教：{plan.student.name}", "submit": "保存"})


def session_photo(request, pk):
    photo = access.get_visible_or_404(SessionPhoto, request.user, pk=pk)
    return stored_file_response(photo.image, filename=f"送教照片{photo.pk}.jpg")


# ---------------------------------------------------------------------------------------------- 资助
def assistance_list(request):
    require(request.user, "assistance.view")
    page = Paginator(selectors.assistance_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "cases/assistance_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def assistance_new(request, student_pk):
    student = access.get_visible_or_404(Student, request.user, pk=student_pk)
    require(request.user, "assistance.record", student)
    form = forms.AssistanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        record = run(form, services.assistance_record, student=student, actor=request.user, kind=d["kind"],
                     date=d["date"], amount=d["amount"], source=d["source"], note=d["note"])
        if record is not FAILED:
            messages.success(request, "资助记录已保存。")
            return redirect("cases:student", student.pk)
    return render(request, "cases/form.html", {"form": form, "student": student, "submit": "保存",
                                               "title": f"登记资助帮扶：{student.name}"})


# ---------------------------------------------------------------------------------------------- inbox
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox(request.user, unread_only), 30).get_page(request.GET.get("page"))
    return render(request, "cases/inbox.html", {"page": page, "unread_only": unread_only,
                                                "unread": selectors.unread_count(request.user)})


def inbox_open(request, pk):
    note = access.get_visible_or_404(Notification, request.user, pk=pk)
    services.notification_mark_read(notification=note, actor=request.user)
    target = note.url if note.url and url_has_allowed_host_and_scheme(note.url, {request.get_host()}) else None
    return redirect(target or reverse("cases:inbox"))


@require_POST
def inbox_read_all(request):
    n = services.notification_mark_all_read(actor=request.user)
    messages.success(request, f"已将 {n} 条消息标为已读。")
    return redirect("cases:inbox")
