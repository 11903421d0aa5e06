"""Vulnerability flags: set and end (history kept)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from students import services
from students.forms import FlagEndForm, FlagForm, attach_errors
from students.models import VulnerabilityFlag

from .common import require_can, student_or_404


def flag_add(request, pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.flag", student)
    form = FlagForm(request.POST or None, initial={"start_date": timezone.localdate(), "kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            flag = services.flag_set(actor=request.user, student=student, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已标记“{flag.label}”。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#flags")
    return render(request, "students/flag_form.html", {
        "student": student, "form": form, "title": f"设置重点关注标记：{student.name}",
        "cancel_url": reverse("students:detail", args=[student.pk])}, status=400 if request.method == "POST" else 200)


def flag_end(request, pk, flag_pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.flag", student)
    flag = get_object_or_404(VulnerabilityFlag, student=student, pk=flag_pk)
    form = FlagEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_end(actor=request.user, flag=flag, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已解除“{flag.label}”标记。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#flags")
    return render(request, "students/flag_form.html", {
        "student": student, "form": form, "flag": flag, "title": f"解除标记：{flag.label}",
        "cancel_url": reverse("students:detail", args=[student.pk])}, status=400 if request.method == "POST" else 200)
