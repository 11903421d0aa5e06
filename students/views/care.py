"""包保: assign a teacher to one student or many, end it; school pages (without 包保 teacher, priority list,
the school's 包保 chain with the 教育办 leader)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kongchuo import access
from kongchuo.models import SchoolClass
from students import selectors, services
from students.forms import CareAssignForm, CareBulkForm, LiaisonForm, TierForm, attach_errors
from students.models import CareAssignment, Student, VulnerabilityFlag

from .common import require_can, student_or_404


def care_assign(request, pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.assign_care", student)
    form = CareAssignForm(request.POST or None, teachers=selectors.teacher_choices(request.user, student.school))
    if request.method == "POST" and form.is_valid():
        try:
            services.care_assign(actor=request.user, teacher=form.cleaned_data["teacher"], students=[student])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已指定 {form.cleaned_data['teacher'].display_name} 为 {student.name} 的包保教师。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#chain")
    return render(request, "students/care_form.html", {
        "student": student, "form": form, "title": f"指定包保教师：{student.name}",
        "cancel_url": reverse("students:detail", args=[student.pk])}, status=400 if request.method == "POST" else 200)


@require_POST
def care_end(request, pk, care_pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.assign_care", student)
    assignment = get_object_or_404(CareAssignment, student=student, pk=care_pk)
    try:
        services.care_end(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已结束该包保关系。")
    return redirect(reverse("students:detail", args=[student.pk]) + "#chain")


def care_bulk(request):
    """批量指定包保教师: pick a school (and class), tick students, pick one colleague."""
    require_can(request.user, "student.assign_care")
    schools = [s for s in selectors.filter_choices(request.user)[0]
               if access.can(request.user, "student.assign_care", s)]
    params = request.POST if request.method == "POST" else request.GET
    try:
        school_id = int(params.get("school") or (schools[0].pk if len(schools) == 1 else 0))
        class_id = int(params.get("class") or 0)
    except ValueError:
        school_id, class_id = 0, 0
    school = next((s for s in schools if s.pk == school_id), None)
    context = {"schools": schools, "school": school, "title": "批量指定包保教师", "only_unassigned":
               params.get("only") != "all"}
    if school is None:
        return render(request, "students/care_bulk.html", context)
    students = access.filter_can(Student.objects.filter(school=school), request.user, "student.assign_care").active()
    if class_id:
        students = students.filter(school_class_id=class_id)
    if context["only_unassigned"] and request.method == "GET":
        students = students.filter(pk__in=selectors.unassigned_students(request.user, school).values("pk"))
    students = list(students.select_related("grade", "school_class__grade").prefetch_related(
        selectors.active_care_prefetch()).order_by("grade__level", "school_class__number", "name_pinyin", "pk")[:500])
    classes = (SchoolClass.objects.filter(grade__school=school, grade__school_year__is_current=True)
               .select_related("grade").order_by("grade__level", "number"))
    form = CareBulkForm(request.POST or None, teachers=selectors.teacher_choices(request.user, school),
                        student_choices=[(s.pk, s.name) for s in students])
    if request.method == "POST" and form.is_valid():
        chosen = [s for s in students if s.pk in set(form.cleaned_data["students"])]
        try:
            created = services.care_assign(actor=request.user, teacher=form.cleaned_data["teacher"], students=chosen)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已为 {len(chosen)} 名学生指定包保教师 {form.cleaned_data['teacher'].display_name}"
                                      f"（新增 {created} 条包保关系）。")
            return redirect(f"{reverse('students:care_bulk')}?school={school.pk}&class={class_id or ''}")
    return render(request, "students/care_bulk.html", {
        **context, "students": students, "classes": classes, "class_id": class_id, "form": form,
        "chosen": {int(v) for v in request.POST.getlist("students") if v.isdigit()},
    }, status=400 if request.method == "POST" else 200)


def school_unassigned(request, school_pk):
    require_can(request.user, "student.view")
    school = selectors.school_for(request.user, school_pk)
    page = selectors.capped_page(selectors.unassigned_students(request.user, school), request.GET.get("page"),
                                 per_page=50)
    return render(request, "students/school_unassigned.html", {
        "school": school, "page": page, "can_bulk_care": access.can(request.user, "student.assign_care", school)})


def school_priority(request, school_pk):
    require_can(request.user, "student.view")
    school = selectors.school_for(request.user, school_pk)
    kind = request.GET.get("kind") if request.GET.get("kind") in VulnerabilityFlag.Kind.values else ""
    page = selectors.capped_page(selectors.priority_students(request.user, school, kind), request.GET.get("page"),
                                 per_page=50)
    return render(request, "students/school_priority.html", {
        "school": school, "page": page, "kind": kind, "flag_kinds": VulnerabilityFlag.Kind.choices})


def school_chain(request, school_pk):
    require_can(request.user, "student.view")
    school = selectors.school_for(request.user, school_pk)
    chain = selectors.school_chain(school)
    can_liaison = access.can(request.user, "school.assign_liaison", school)
    can_tiers = access.can(request.user, "school.assign_tiers", school)
    posted = request.POST.get("form") if request.method == "POST" else None
    form = LiaisonForm(request.POST if posted == "liaison" else None,
                       leaders=selectors.liaison_choices(request.user, school)) if can_liaison else None
    tier_form = TierForm(request.POST if posted == "tier" else None, grades=[r["grade"] for r in chain["grades"]],
                         teachers=selectors.teacher_choices(request.user, school)) if can_tiers else None
    if request.method == "POST":
        if (posted == "liaison" and not can_liaison) or (posted == "tier" and not can_tiers) or \
                posted not in ("liaison", "tier"):
            raise PermissionDenied
        if posted == "liaison" and form.is_valid():
            try:
                services.liaison_set(actor=request.user, school=school, leader=form.cleaned_data["leader"])
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已指定 {form.cleaned_data['leader'].display_name} 包保 {school.name}。")
                return redirect("students:school_chain", school_pk=school.pk)
        if posted == "tier" and tier_form.is_valid():
            target = tier_form.target_kwargs()
            grades = {r["grade"].pk: r["grade"] for r in chain["grades"]}
            classes = {c.pk: c for r in chain["grades"] for c, _ in r["classes"]}
            try:
                services.tier_assign(actor=request.user, user=tier_form.cleaned_data["user"],
                                     school_class=classes.get(target.get("school_class_id")),
                                     grade=grades.get(target.get("grade_id")))
            except ValidationError as exc:
                attach_errors(tier_form, exc)
            else:
                messages.success(request, f"已指定 {tier_form.cleaned_data['user'].display_name}。")
                return redirect("students:school_chain", school_pk=school.pk)
    return render(request, "students/school_chain.html", {
        "school": school, "chain": chain, "form": form, "tier_form": tier_form,
    }, status=400 if request.method == "POST" else 200)
