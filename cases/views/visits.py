"""Home visits: the phone form (draft kept offline, one visit per submission), detail, list, photos."""
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cases import forms, selectors, services
from cases.models import Case, HomeVisit, VisitPhoto
from cases.views.common import FAILED, require, run, school_colleagues
from kongchuo import access
from kongchuo.serving import stored_file_response
from students.models import Student


def _draft_key(user, student, case):
    return f"kc-visit:{user.pk}:{'case-' + str(case.pk) if case else 'student-' + str(student.pk)}"


def _visit_form(request, student, case):
    colleagues = school_colleagues(request.user, student.school).exclude(pk=request.user.pk)
    if request.method == "POST":
        form = forms.VisitForm(request.POST, request.FILES, colleagues=colleagues)
        if form.is_valid():
            d = form.cleaned_data
            result = run(form, services.visit_log, student=student, case=case, actor=request.user,
                         idempotency_key=d["idempotency_key"], visit_date=d["visit_date"], mode=d["mode"],
                         people_met=d["people_met"], findings=d["findings"],
                         guardian_attitude=d["guardian_attitude"], family_situation=d["family_situation"],
                         risk_level=d["risk_level"], next_step=d["next_step"], next_step_date=d["next_step_date"],
                         visitors=d.get("visitors") or (), other_visitors=d["other_visitors"], photos=d["photos"])
            if result is not FAILED:
                visit, created = result
                if created:
                    messages.success(request, "家访记录已保存。")
                else:
                    messages.info(request, "这条家访记录此前已保存，未重复登记。")
                url = reverse("cases:visit_detail", args=[visit.pk])
                return redirect(f"{url}?saved={_draft_key(request.user, student, case)}")
    else:
        form = forms.VisitForm(initial={"idempotency_key": uuid.uuid4()}, colleagues=colleagues)
    count = case.visits.alive().count() if case else None
    return render(request, "cases/visit_form.html", {
        "form": form, "student": student, "case": case, "visit_number": (count or 0) + 1 if case else None,
        "draft_key": _draft_key(request.user, student, case)})


@require_http_methods(["GET", "POST"])
def visit_new(request, pk):
    case = access.get_visible_or_404(Case.objects.alive().select_related("student__school"), request.user, pk=pk)
    require(request.user, "case.visit", case)
    return _visit_form(request, case.student, case)


@require_http_methods(["GET", "POST"])
def student_visit_new(request, student_pk):
    """大家访: a visit for an at-risk student without a case."""
    student = access.get_visible_or_404(Student.objects.select_related("school"), request.user, pk=student_pk)
    require(request.user, "visit.log", student)
    return _visit_form(request, student, None)


def visit_detail(request, pk):
    visit = access.get_visible_or_404(
        HomeVisit.objects.alive().select_related("student__school_class__grade", "case", "created_by")
        .prefetch_related("photos", "visitors"), request.user, pk=pk)
    saved = request.GET.get("saved", "")
    return render(request, "cases/visit_detail.html", {
        "visit": visit, "clear_draft": saved if saved.startswith(f"kc-visit:{request.user.pk}:") else "",
        "count": visit.case.visits.alive().filter(visit_date__lte=visit.visit_date).count() if visit.case else None})


def visit_list(request):
    require(request.user, "visit.view")
    mine = request.GET.get("mine", "1") == "1"
    without_case = request.GET.get("big") == "1"
    page = Paginator(selectors.visits_for(request.user, mine=mine, without_case=without_case), 30) \
        .get_page(request.GET.get("page"))
    return render(request, "cases/visit_list.html", {"page": page, "mine": mine, "big": without_case})


def visit_photo(request, pk):
    photo = access.get_visible_or_404(VisitPhoto.objects.filter(visit__is_deleted=False), request.user, pk=pk)
    return stored_file_response(photo.image, filename=f"家访照片{photo.pk}.jpg")
