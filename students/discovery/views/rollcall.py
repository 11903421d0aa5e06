"""Roll-call (点名) for the 班主任 on a phone, per-student absence entries, and the list of students over a threshold."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kongchuo import access
from kongchuo.workdays import WorkCalendar
from students.discovery import absences as services
from students.discovery import selectors
from students.discovery.forms import AbsenceEntryForm, RollCallDateForm
from students.discovery.views.common import form_errors_from
from students.models import Student
from students.models.discovery import Absence

MARK_CHOICES = [("", "到")] + list(Absence.Reason.choices)


def _fmt(d):
    return f"{d.month}月{d.day}日"


def _roster_class_or_404(user, pk, action):
    """The class if its whole roster is in the user's scope (else 404); 403 if they may not `action` on it."""
    school_class = access.roster_classes(user).filter(pk=pk).select_related("grade__school").first()
    if school_class is None:
        raise Http404("未找到")
    if not access.roster_classes(user, action).filter(pk=pk).exists():
        raise PermissionDenied
    return school_class


def rollcall_index(request):
    if not access.can(request.user, "absence.record"):
        raise PermissionDenied
    classes = list(selectors.rollcall_classes(request.user))
    if len(classes) == 1:
        return redirect("students:discovery_rollcall_class", pk=classes[0].pk)
    calendar = WorkCalendar.load()
    day = selectors.latest_school_day(calendar, timezone.localdate())
    done = selectors.rollcall_done_today(classes, day)
    return render(request, "students/discovery_rollcall_index.html",
                  {"classes": [(c, c.pk in done) for c in classes], "day": day})


def rollcall_class(request, pk):
    school_class = _roster_class_or_404(request.user, pk, "absence.record")
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    default_day = selectors.latest_school_day(calendar, today)
    source = request.POST if request.method == "POST" else request.GET
    date_form = RollCallDateForm(source if "date" in source else {"date": default_day})
    day = date_form.cleaned_data["date"] if date_form.is_valid() else None
    status = 200
    if request.method == "POST":
        marks = {}
        for key, value in request.POST.items():
            if key.startswith("mark_"):
                try:
                    marks[int(key[5:])] = value
                except ValueError:
                    continue
        try:
            if day is None:
                raise ValidationError({"date": " ".join(date_form.errors.get("date", ["请选择点名日期。"]))})
            result = services.rollcall_save(school_class=school_class, day=day, marks=marks, actor=request.user,
                                            today=today, calendar=calendar)
        except ValidationError as exc:
            for text in form_errors_from(exc):
                messages.error(request, text)
            status = 400
            submitted = marks
        else:
            messages.success(request, f"已保存{_fmt(day)}点名：到校 {result.present} 人，缺勤 {result.absent} 人。")
            for line in result.evaluation.alert_lines():
                messages.warning(request, line)
            for line in result.evaluation.closed_lines():
                messages.info(request, line)
            return redirect(f"{reverse('students:discovery_rollcall_class', args=[pk])}?date={day:%Y-%m-%d}")
    else:
        submitted = None
        if day is None:
            messages.error(request, "日期格式不正确，已显示最近的上课日。")
            day = default_day
    is_school_day = day is not None and calendar.is_school_day(day)
    roll_call, rows = (None, [])
    if day is not None:
        roll_call, rows = selectors.rollcall_sheet(school_class=school_class, day=day, calendar=calendar)
        if submitted is not None:
            for row in rows:
                if row.student.pk in submitted:
                    row.mark, row.carried = submitted[row.student.pk], False
    counts = {"present": sum(1 for r in rows if not r.mark), "absent": sum(1 for r in rows if r.mark)}
    return render(request, "students/discovery_rollcall.html", {
        "school_class": school_class, "day": day or default_day, "today": today, "rows": rows,
        "roll_call": roll_call, "is_school_day": is_school_day, "default_day": default_day,
        "choices": MARK_CHOICES, "counts": counts, "carried": any(r.carried for r in rows),
        "thresholds": selectors.thresholds_display(),
    }, status=status)


def absence_entry(request, pk):
    student = access.get_visible_or_404(Student.objects.select_related("school_class__grade", "school"),
                                        request.user, pk=pk)
    if not access.can(request.user, "absence.record", student):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = AbsenceEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.absence_record(student=student, start=data["start"], end=data["end"],
                                                 reason=data["reason"], note=data["note"], actor=request.user)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"已登记 {student.name} {len(result.days)} 个上课日的"
                                          f"{Absence.Reason(data['reason']).label}。")
                for line in result.evaluation.alert_lines():
                    messages.warning(request, line)
                for line in result.evaluation.closed_lines():
                    messages.info(request, line)
                return redirect("students:discovery_absence_entry", pk=student.pk)
        status = 400
    else:
        form = AbsenceEntryForm(initial={"start": timezone.localdate(), "reason": Absence.Reason.SICK})
    recent = selectors.student_recent_absences(student)
    assessment = selectors.risk_for_page([student])[student.pk]
    return render(request, "students/discovery_absence_entry.html",
                  {"student": student, "form": form, "recent": recent, "risk": assessment}, status=status)


@require_POST
def absence_delete(request, pk):
    absence = access.get_visible_or_404(Absence.objects.select_related("student"), request.user, pk=pk)
    if not access.can(request.user, "absence.record", absence.student):
        raise PermissionDenied
    student, day = absence.student, absence.date
    services.absence_delete(absence=absence, actor=request.user)
    messages.success(request, f"已撤销 {student.name} {_fmt(day)} 的缺勤记录。")
    return redirect("students:discovery_absence_entry", pk=student.pk)


def alert_list(request):
    if not access.can(request.user, "student.view"):
        raise PermissionDenied
    page = Paginator(selectors.open_alerts(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "students/discovery_alerts.html",
                  {"page": page, "thresholds": selectors.thresholds_display(),
                   "can_record": access.can(request.user, "absence.record")})
