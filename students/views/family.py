"""Family members / guardians of a student."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from students import services
from students.forms import FamilyMemberForm, attach_errors, mask_initial, restore_masked
from students.models import FamilyMember

from .common import flash_notes, require_can, student_or_404

TEMPLATE = "students/family_form.html"


def _member(student, member_pk):
    return get_object_or_404(FamilyMember, student=student, pk=member_pk)


def family_add(request, pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.edit", student)
    form = FamilyMemberForm(request.POST or None, initial={"is_guardian": True})
    context = {"student": student, "title": f"添加家庭成员：{student.name}", "relations": FamilyMember.RELATIONS,
               "cancel_url": reverse("students:detail", args=[student.pk])}
    if request.method == "POST" and form.is_valid():
        try:
            member = services.family_member_add(actor=request.user, student=student, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash_notes(request, member)
            messages.success(request, f"已添加家庭成员 {member.name}。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#family")
    return render(request, TEMPLATE, {**context, "form": form}, status=400 if request.method == "POST" else 200)


def family_edit(request, pk, member_pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.edit", student)
    member = _member(student, member_pk)
    initial = {f: getattr(member, f) for f in services.registry.FAMILY_FIELDS}
    originals = mask_initial(initial)
    form = FamilyMemberForm(request.POST or None, initial=initial)
    context = {"student": student, "member": member, "title": f"修改家庭成员：{member.name}",
               "relations": FamilyMember.RELATIONS, "cancel_url": reverse("students:detail", args=[student.pk])}
    if request.method == "POST" and form.is_valid():
        try:
            member = services.family_member_update(actor=request.user, member=member,
                                                   **restore_masked(dict(form.cleaned_data), originals))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash_notes(request, member)
            messages.success(request, "家庭成员信息已保存。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#family")
    return render(request, TEMPLATE, {**context, "form": form}, status=400 if request.method == "POST" else 200)


@require_POST
def family_remove(request, pk, member_pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.edit", student)
    member = _member(student, member_pk)
    services.family_member_remove(actor=request.user, member=member)
    messages.success(request, f"已删除家庭成员 {member.name}（修改记录中保留）。")
    return redirect(reverse("students:detail", args=[student.pk]) + "#family")
