"""Demo data for discovery (idempotent, relative to today): roll-calls with absence streaks crossing each
threshold, 报到 for the current and previous term, and 未返校 entries (one with its 去向 filled in).

Runs after students.demo.build. Everything goes through the services, so signals fire as in real use.
"""
from datetime import timedelta

from django.utils import timezone

from kongchuo.demo import current_class
from kongchuo.models import SchoolClass
from kongchuo.workdays import WorkCalendar
from students.discovery import absences, term
from students.discovery.selectors import latest_school_day
from students.models import Student
from students.models.discovery import Absence, NonReturnEntry, TermArrival

ROLL_CALL_DAYS = 10


def _school_days_before(calendar, day, n):
    """The n school days strictly before `day`, oldest first."""
    out, d = [], day
    for _ in range(400):
        if len(out) >= n:
            break
        d -= timedelta(days=1)
        if calendar.is_school_day(d):
            out.append(d)
    return list(reversed(out))


def _roster(school_class):
    return list(Student.objects.filter(school_class=school_class, status=Student.Status.ENROLLED).order_by("pk"))


def build(*, org, users, options, stdout):
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    school_a = org["schools"][0]
    head, principal = users["demo_headteacher"], users["demo_principal"]
    lines = []

    # 1. 报到: previous and current term, every student of school A except two who have not come back.
    current = term.current_term(today)
    class_31, class_32, class_41 = (current_class(school_a, 3, 1), current_class(school_a, 3, 2),
                                    current_class(school_a, 4, 1))
    missing = []
    for school_class, index in ((class_32, 1), (class_41, 0)):
        roster = _roster(school_class)
        if len(roster) > index:
            missing.append(roster[index])
    if current is not None and current.start_date <= today:
        previous = current.previous()
        classes = SchoolClass.objects.filter(grade__school=school_a, grade__school_year=org["year"])
        students = list(Student.objects.filter(school_class__in=classes, status=Student.Status.ENROLLED))
        for t in (previous, current):
            if t is None:
                continue
            existing = set(TermArrival.objects.filter(term=t, student__in=students)
                           .values_list("student_id", flat=True))
            TermArrival.objects.bulk_create([
                TermArrival(term=t, student=s, school=school_a, school_class=s.school_class,
                            arrived=not (t == current and s in missing), recorded_by=head)
                for s in students if s.pk not in existing])
        result = term.term_start_check(school=school_a, term=current, actor=principal, today=today)
        lines.append(f"未返校比对：新增 {len(result.created)} 人")
        entries = NonReturnEntry.objects.filter(term=current, school=school_a).order_by("pk")
        first = entries.first()
        if first is not None and entries.count() > 1 and not entries.exclude(whereabouts="").exists():
            term.nonreturn_update(entry=first, whereabouts=NonReturnEntry.Whereabouts.WORKING,
                                  whereabouts_detail="随父亲在浙江省杭州市打工，村委会电话核实",
                                  note="已电话联系家长，家长表示下月回乡", actor=head)

    # 2. Roll-calls of 3(1) for the last school days: a 3-day streak (预警), a 7-day streak (疑似辍学), leaves.
    latest = latest_school_day(calendar, today)
    days = _school_days_before(calendar, latest, ROLL_CALL_DAYS)
    roster = _roster(class_31)
    for i, day in enumerate(days):
        marks = {s.pk: "" for s in roster}
        if len(roster) > 1 and i >= len(days) - 3:
            marks[roster[1].pk] = Absence.Reason.UNEXCUSED       # 3 school days → 预警
        if len(roster) > 2 and i >= len(days) - 7:
            marks[roster[2].pk] = Absence.Reason.UNEXCUSED       # 7 school days → 疑似辍学
        if len(roster) > 3 and i in (2, 3):
            marks[roster[3].pk] = Absence.Reason.SICK
        if len(roster) > 4 and i == 5:
            marks[roster[4].pk] = Absence.Reason.PERSONAL
        absences.rollcall_save(school_class=class_31, day=day, marks=marks, actor=head, today=today,
                               calendar=calendar)
    lines.append(f"{class_31}点名 {len(days)} 天")

    # 3. A 3(2) student absent without reason for 24 school days (辍学 level), entered as one range.
    roster_32 = _roster(class_32)
    if roster_32:
        long_days = _school_days_before(calendar, latest, 24)
        if long_days:
            absences.absence_record(student=roster_32[0], start=long_days[0], end=long_days[-1],
                                    reason=Absence.Reason.UNEXCUSED, note="家长称孩子不愿上学",
                                    actor=principal, today=today, calendar=calendar)
    result = absences.absences_evaluate(as_of=today, actor=None, calendar=calendar)
    lines.append(f"缺勤检查：新预警 {len(result.alerts)} 条")
    stdout.write("发现与点名：" + "；".join(lines))
