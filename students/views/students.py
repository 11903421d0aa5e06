"""Student list (search), detail, create / edit, 显示完整号码, 转入."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kongchuo import access
from kongchuo.audit import log_access, mask_id, mask_phone
from kongchuo.models import AccessLog, SchoolClass, Village
from students import risk, selectors, services
from students.forms import (
    UNMASK_PURPOSES, StudentForm, TransferInForm, UnmaskForm, attach_errors, mask_initial, restore_masked,
)
from students.models import FamilyMember, Student, VulnerabilityFlag
from students.sections import sections_for

from .common import flash_notes, require_can, student_or_404


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def student_list(request):
    require_can(request.user, "student.view")
    g = request.GET
    filters = selectors.StudentFilters(
        q=g.get("q", "").strip()[:40], school=_int(g.get("school")), grade=_int(g.get("grade")),
        school_class=_int(g.get("class")),
        status=g.get("status") if g.get("status") in Student.Status.values else "",
        flag=g.get("flag") if g.get("flag") in VulnerabilityFlag.Kind.values else "",
        care="none" if g.get("care") == "none" else "")
    page = selectors.capped_page(selectors.student_list(request.user, filters), g.get("page"))
    schools, classes = selectors.filter_choices(request.user, filters.school)
    levels = sorted({(c.grade.level, c.grade.get_level_display()) for c in classes})
    query = g.copy()
    query.pop("page", None)
    return render(request, "students/student_list.html", {
        "page": page, "filters": filters, "schools": schools, "classes": classes,
        "levels": levels,
        "statuses": Student.Status.choices, "flag_kinds": VulnerabilityFlag.Kind.choices,
        "querystring": query.urlencode(), "hint": selectors.search_hint(filters.q),
        "can_create": access.can(request.user, "student.create"),
        "can_bulk_care": access.can(request.user, "student.assign_care"),
        "filtered": any([filters.q, filters.school, filters.grade, filters.school_class, filters.status,
                         filters.flag, filters.care]),
    })


def _detail_context(request, student, revealed=None, unmask_form=None):
    user = request.user
    family = selectors.family_of(student)
    revealed = revealed or {}
    can_unmask = access.can(user, "student.unmask", student)
    for m in family:
        m.id_target, m.phone_target = f"member_id:{m.pk}", f"member_phone:{m.pk}"
        m.id_revealed, m.phone_revealed = revealed.get(m.id_target), revealed.get(m.phone_target)
        m.id_shown = m.id_revealed or mask_id(m.id_number)
        m.phone_shown = m.phone_revealed or mask_phone(m.phone)
    return {
        "student": student,
        "id_shown": revealed.get("student_id") or mask_id(student.id_number),
        "phone_shown": revealed.get("student_phone") or mask_phone(student.phone),
        "revealed": revealed,
        "family": family,
        "siblings": selectors.siblings_of(student, user, family),
        "flags": selectors.flags_of(student),
        "changes": selectors.status_changes_of(student),
        "enrolments": selectors.enrolments_of(student),
        "chain": selectors.care_chain(student),
        "risk": risk.assess(student),
        "change_log": selectors.change_log(student),
        "sections": sections_for(request, student),
        "can_unmask": can_unmask,
        "unmask_form": unmask_form or UnmaskForm(),
        "unmask_purposes": UNMASK_PURPOSES,
        "can_edit": access.can(user, "student.edit", student),
        "can_flag": access.can(user, "student.flag", student),
        "can_status": access.can(user, "student.status_change", student),
        "can_care": access.can(user, "student.assign_care", student),
        "can_documents": access.can(user, "document.view_sensitive", student),
        "status_kinds": services.allowed_kinds(student),
    }


def student_detail(request, pk):
    student = student_or_404(request, pk)
    return render(request, "students/student_detail.html", _detail_context(request, student))


@require_POST
def student_unmask(request, pk):
    """显示完整号码: asks a purpose, logs view_id / view_phone, then shows the page with that one number."""
    student = student_or_404(request, pk)
    require_can(request.user, "student.unmask", student)
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("purpose", []) + form.errors.get("purpose_detail", []):
            messages.error(request, error)
        return render(request, "students/student_detail.html",
                      _detail_context(request, student, unmask_form=form), status=400)
    target = form.cleaned_data["target"]
    kind, _, member_pk = target.partition(":")
    obj, value = student, None
    if target == "student_id":
        value, action = student.id_number, AccessLog.Action.VIEW_ID
    elif target == "student_phone":
        value, action = student.phone, AccessLog.Action.VIEW_PHONE
    elif kind in ("member_id", "member_phone") and member_pk.isdigit():
        obj = FamilyMember.objects.filter(student=student, pk=int(member_pk)).first()
        if obj is None:
            raise PermissionDenied
        value = obj.id_number if kind == "member_id" else obj.phone
        action = AccessLog.Action.VIEW_ID if kind == "member_id" else AccessLog.Action.VIEW_PHONE
    else:
        raise PermissionDenied
    if not value:
        messages.info(request, "该号码未登记。")
        return redirect("students:detail", pk=student.pk)
    log_access(request=request, action=action, obj=obj, scope=str(student.school or ""),
               purpose=form.purpose_text, detail=f"学生 {student.pk}")
    response = render(request, "students/student_detail.html",
                      _detail_context(request, student, revealed={target: value}))
    response["Cache-Control"] = "no-store"
    return response


def _creatable_classes(user):
    schools = [s for s in selectors.filter_choices(user)[0] if access.can(user, "student.create", s)]
    return (SchoolClass.objects.filter(grade__school__in=schools, grade__school_year__is_current=True)
            .select_related("grade__school").order_by("grade__school__code", "grade__level", "number"))


def _villages_for(user):
    schools = selectors.filter_choices(user)[0]
    return Village.objects.filter(subdistrict__area__in={s.area_id for s in schools}).order_by("code")


def _save_student(request, form, call, *, template, context):
    """Run a create/update service; map its errors and the 'please confirm' warning back to the form."""
    try:
        result = call(confirm_mismatch=form.cleaned_data.get("confirm_mismatch", False),
                      confirm_reason=form.cleaned_data.get("confirm_reason", ""), check_age=True)
    except services.NeedsConfirmation as exc:
        form.needs_confirmation(reason=exc.reason_required, reason_missing=exc.reason_missing)
        return None, render(request, template, {**context, "form": form, "warnings": exc.warnings}, status=400)
    except ValidationError as exc:
        attach_errors(form, exc)
        return None, render(request, template, {**context, "form": form}, status=400)
    return result, None


def student_create(request):
    require_can(request.user, "student.create")
    classes = _creatable_classes(request.user)
    form = StudentForm(request.POST or None, classes=classes, villages=_villages_for(request.user))
    context = {"title": "登记新生", "cancel_url": reverse("students:list")}
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        school_class = data.pop("school_class")
        student, response = _save_student(
            request, form, lambda **kw: services.student_create(actor=request.user, school_class=school_class,
                                                                **data, **kw),
            template="students/student_form.html", context=context)
        if response:
            return response
        flash_notes(request, student)
        messages.success(request, f"已登记学生 {student.name}。")
        return redirect("students:detail", pk=student.pk)
    return render(request, "students/student_form.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


def student_edit(request, pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.edit", student)
    classes = SchoolClass.objects.filter(grade__school_id=student.school_id, grade__level=getattr(student.grade, "level", 0),
                                        grade__school_year_id=getattr(student.grade, "school_year_id", None)
                                        ).select_related("grade__school")
    if not classes.exists() and student.school_class_id:
        classes = SchoolClass.objects.filter(pk=student.school_class_id).select_related("grade__school")
    initial = {f: getattr(student, f) for f in services.registry.STUDENT_FIELDS}
    initial["school_class"] = student.school_class
    originals = mask_initial(initial)
    form = StudentForm(request.POST or None, initial=initial, classes=classes, villages=_villages_for(request.user))
    context = {"title": f"修改学生信息：{student.name}", "student": student,
               "cancel_url": reverse("students:detail", args=[student.pk])}
    if request.method == "POST" and form.is_valid():
        data = restore_masked(form.service_kwargs(), originals)
        school_class = data.pop("school_class")
        saved, response = _save_student(
            request, form, lambda **kw: services.student_update(actor=request.user, student=student,
                                                                school_class=school_class, **data, **kw),
            template="students/student_form.html", context=context)
        if response:
            return response
        flash_notes(request, saved)
        messages.success(request, "学生信息已保存。")
        return redirect("students:detail", pk=student.pk)
    return render(request, "students/student_form.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


def transfer_in(request):
    """办理转入: by ID number — a 转出待确认 student of another district school moves here (and that 转出 is
    confirmed), anyone else is enrolled or created."""
    require_can(request.user, "student.status_change")
    classes = _creatable_classes(request.user).filter(
        grade__school__in=[s for s in selectors.filter_choices(request.user)[0]
                           if access.can(request.user, "student.status_change", s)])
    form = TransferInForm(request.POST or None, request.FILES or None, classes=classes,
                          villages=_villages_for(request.user), initial={"date": timezone.localdate()})
    context = {"title": "办理转入", "cancel_url": reverse("students:list"), "transfer": True}
    if request.method == "POST" and form.is_valid():
        extra, data = form.transfer_kwargs()
        school_class = data.pop("school_class")
        change, response = _save_student(
            request, form, lambda **kw: services.transfer_in(actor=request.user, school_class=school_class,
                                                             **extra, **data, **kw),
            template="students/student_form.html", context=context)
        if response:
            return response
        flash_notes(request, change.student)
        messages.success(request, f"已为 {change.student.name} 办理转入。")
        return redirect("students:detail", pk=change.student_id)
    return render(request, "students/student_form.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)
