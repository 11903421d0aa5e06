"""学籍异动: record a change, confirm a 转出, download 证明材料 (scoped, logged)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from kongchuo import access
from kongchuo.audit import log_access
from kongchuo.models import AccessLog, School, SchoolClass
from kongchuo.serving import stored_file_response
from students import services
from students.forms import StatusChangeForm, TransferConfirmForm, attach_errors
from students.models import StatusChange, StatusChangeDocument

from .common import require_can, student_or_404


def _district_schools(student):
    return School.objects.filter(area_id=student.school.area_id, is_active=True).exclude(pk=student.school_id) \
        if student.school_id else School.objects.none()


def status_change(request, pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.status_change", student)
    kinds = services.allowed_kinds(student)
    classes = (SchoolClass.objects.filter(grade__school_id=student.school_id, grade__school_year__is_current=True)
               .select_related("grade").order_by("grade__level", "number"))
    form = StatusChangeForm(request.POST or None, request.FILES or None, kinds=kinds,
                            schools=_district_schools(student), classes=classes,
                            initial={"date": timezone.localdate(), "kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            change = services.status_change_record(actor=request.user, student=student, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已办理{change.get_kind_display()}，学籍状态：{change.get_status_after_display()}。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#changes")
    return render(request, "students/status_change_form.html", {
        "student": student, "form": form, "kinds": kinds, "transitions": services.TRANSITIONS,
        "title": f"办理学籍异动：{student.name}", "cancel_url": reverse("students:detail", args=[student.pk]),
    }, status=400 if request.method == "POST" else 200)


def transfer_confirm(request, pk, change_pk):
    student = student_or_404(request, pk)
    require_can(request.user, "student.status_change", student)
    change = get_object_or_404(StatusChange, student=student, pk=change_pk, kind=StatusChange.Kind.TRANSFER_OUT)
    form = TransferConfirmForm(request.POST or None, request.FILES or None, schools=_district_schools(student),
                               initial={"received_date": timezone.localdate(), "receiving_school": change.to_school,
                                        "receiving_school_name": change.other_school_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_confirm(actor=request.user, change=change, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已确认转出，学籍状态：已转出。")
            return redirect(reverse("students:detail", args=[student.pk]) + "#changes")
    return render(request, "students/transfer_confirm_form.html", {
        "student": student, "form": form, "change": change, "title": f"确认转出：{student.name}",
        "cancel_url": reverse("students:detail", args=[student.pk]),
    }, status=400 if request.method == "POST" else 200)


def document_download(request, doc_pk):
    doc = access.get_visible_or_404(StatusChangeDocument.objects.select_related("status_change__student__school"),
                                    request.user, pk=doc_pk)
    require_can(request.user, "document.view_sensitive", doc.status_change.student)
    if not doc.file:
        raise Http404("文件不存在")
    student = doc.status_change.student
    log_access(request=request, action=AccessLog.Action.EXPORT, obj=doc, scope=str(student.school or ""),
               purpose="查看学籍异动证明材料", detail=f"学生 {student.pk}，材料 {doc.pk}")
    return stored_file_response(doc.file, filename=doc.original_name)
