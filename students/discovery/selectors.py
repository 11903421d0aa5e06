"""Reads for discovery pages. Every function takes the acting user (or an object already fetched in scope)."""
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from kongchuo import access
from kongchuo.models import School, SchoolClass, Village
from students import risk
from students.discovery import streaks
from students.models import Student
from students.models.discovery import (
    Absence, AbsenceEpisode, AbsenceLevel, NonReturnEntry, RollCall, TermArrival,
)


def rollcall_classes(user, action="absence.record"):
    """Classes of the current school year the user may take the roll-call (or confirm 报到) for."""
    return (access.roster_classes(user, action).filter(grade__school_year__is_current=True)
            .select_related("grade__school").order_by("grade__school__code", "grade__level", "number"))


def latest_school_day(calendar, today):
    """Today if it is a school day, else the most recent school day (within a year), else today."""
    d = today
    for _ in range(366):
        if calendar.is_school_day(d):
            return d
        d -= timedelta(days=1)
    return today


@dataclass
class SheetRow:
    student: object
    mark: str            # "" 到, or an Absence.Reason value
    carried: bool        # pre-marked 无故 because the student's streak is still running
    streak_days: int
    recorded_note: str = ""


def rollcall_sheet(*, school_class, day, calendar):
    """The roll-call form of a class for one day: every 在读 student with their current mark.

    Saved absences of that day are shown as they are. Before the first save of the day, a student whose
    unexcused streak is still running (absent 无故 on the previous school day) is pre-marked 无故 so a child
    who has stopped coming is not silently marked present; every other student defaults to 到.
    """
    students = list(Student.objects.filter(school_class=school_class, status=Student.Status.ENROLLED)
                    .order_by("name_pinyin", "pk"))
    roll_call = RollCall.objects.filter(school_class=school_class, date=day).select_related("recorded_by").first()
    saved = {a.student_id: a for a in Absence.objects.filter(student__in=students, date=day)}
    previous = day - timedelta(days=1)
    for _ in range(60):
        if calendar.is_school_day(previous):
            break
        previous -= timedelta(days=1)
    before = set(Absence.objects.filter(student__in=students, date=previous, reason=Absence.Reason.UNEXCUSED)
                 .order_by().values_list("student_id", flat=True))
    episodes = dict(AbsenceEpisode.objects.filter(student__in=students, is_open=True)
                    .order_by().values_list("student_id", "days"))
    rows = []
    for s in students:
        absence = saved.get(s.pk)
        if absence is not None:
            rows.append(SheetRow(s, absence.reason, False, episodes.get(s.pk, 0), absence.note))
        elif roll_call is None and s.pk in before:
            rows.append(SheetRow(s, Absence.Reason.UNEXCUSED, True, episodes.get(s.pk, 0)))
        else:
            rows.append(SheetRow(s, "", False, episodes.get(s.pk, 0)))
    return roll_call, rows


def rollcall_done_today(classes, day):
    return set(RollCall.objects.filter(school_class__in=classes, date=day).order_by()
               .values_list("school_class_id", flat=True))


def student_recent_absences(student, *, days=120, today=None):
    today = today or timezone.localdate()
    return (Absence.objects.filter(student=student, date__gte=today - timedelta(days=days))
            .select_related("recorded_by").order_by("-date"))


def open_alerts(user):
    """Students whose unexcused streak is running and has reached a threshold, worst first."""
    return (AbsenceEpisode.objects.visible_to(user).filter(is_open=True).exclude(level="")
            .select_related("student__school_class__grade", "student__school")
            .order_by("-days", "student__name_pinyin"))


def arrival_sheet(*, term, school_class):
    students = list(Student.objects.filter(school_class=school_class, status=Student.Status.ENROLLED)
                    .order_by("name_pinyin", "pk"))
    saved = dict(TermArrival.objects.filter(term=term, student__in=students).order_by()
                 .values_list("student_id", "arrived"))
    return students, saved


def term_check_overview(*, school, term):
    """Per class of the school's current year: students 在读, 报到 confirmed, arrived."""
    classes = list(SchoolClass.objects.filter(grade__school=school, grade__school_year__is_current=True)
                   .select_related("grade").order_by("grade__level", "number")
                   .annotate(n_students=Count("students", filter=Q(students__status=Student.Status.ENROLLED))))
    arrivals = (TermArrival.objects.filter(term=term, school=school).values("school_class_id")
                .annotate(n=Count("pk"), arrived=Count("pk", filter=Q(arrived=True))))
    by_class = {row["school_class_id"]: row for row in arrivals}
    rows = []
    for c in classes:
        row = by_class.get(c.pk, {"n": 0, "arrived": 0})
        rows.append({"school_class": c, "students": c.n_students, "confirmed": row["n"] > 0,
                     "arrived": row["arrived"], "missing": row["n"] - row["arrived"]})
    counts = dict(NonReturnEntry.objects.filter(term=term, school=school).order_by().values_list("status")
                  .annotate(n=Count("pk")))
    return rows, counts


def nonreturn_entries(user, *, school=None, term=None, status=None, q=""):
    qs = (NonReturnEntry.objects.visible_to(user)
          .select_related("student__village", "school", "school_class__grade", "term__school_year", "updated_by"))
    if school:
        qs = qs.filter(school=school)
    if term:
        qs = qs.filter(term=term)
    if status == "open":
        qs = qs.filter(status__in=NonReturnEntry.OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(student__name__contains=q) | Q(student__name_pinyin__startswith=q.lower())
                       | Q(student__name_initials__startswith=q.lower()))
    return qs.order_by("school__code", "school_class__grade__level", "school_class__number", "student__name_pinyin",
                       "pk")


def filter_choices(user):
    """Schools and villages the user may filter by (their scope only)."""
    schools = School.objects.visible_to(user) if hasattr(School.objects, "visible_to") else access.visible(School, user)
    villages = Village.objects.filter(
        pk__in=Student.objects.visible_to(user).exclude(village=None).values("village_id")).order_by("code")
    return schools.order_by("code"), villages


# ------------------------------------------------------------------ 三本台账
LEDGERS = {
    "children": "适龄儿童",
    "suspected": "疑似辍学",
    "dropout": "辍学",
}


def _episode_subquery(level_q):
    eps = AbsenceEpisode.objects.filter(level_q, student=OuterRef("pk"), is_open=True).order_by("-days")
    return eps


# The one definition of 疑似辍学 / 辍学 lives in reports (reports/asof.py); reports registers it here from
# ReportsConfig.ready (students must not import reports). fn(queryset, book, day) -> the book's students on `day`.
LEDGER_FILTER = []


def register_ledger_filter(fn):
    LEDGER_FILTER[:] = [fn]


def ledger_students(user, book, *, school=None, village=None, q=""):
    """Students of the 疑似辍学 or 辍学 ledger, scoped, with the facts that put them there (annotations).

    With reports installed: the as-of-today categories of reports/asof.py (README “控辍保学口径”). Without it
    (fallback): 疑似辍学 = a running unexcused streak at the 疑似辍学 level, or an open 未返校 entry — and not 辍学;
    辍学 = 学籍状态 辍学, or a running streak at the 辍学 level.
    """
    students = Student.objects.visible_to(user)
    dropout_eps = AbsenceEpisode.objects.filter(is_open=True, level=AbsenceLevel.DROPOUT)
    if LEDGER_FILTER:
        from django.utils import timezone

        qs = LEDGER_FILTER[0](students, book, timezone.localdate())
        level_q = Q(level=AbsenceLevel.DROPOUT) if book == "dropout" else Q(level=AbsenceLevel.SUSPECTED)
    elif book == "dropout":
        qs = students.filter(Q(status=Student.Status.DROPPED_OUT) | Q(pk__in=dropout_eps.values("student_id")))
        level_q = Q(level=AbsenceLevel.DROPOUT)
    else:
        suspected = AbsenceEpisode.objects.filter(is_open=True, level=AbsenceLevel.SUSPECTED).values("student_id")
        open_nr = NonReturnEntry.objects.filter(status__in=NonReturnEntry.OPEN_STATUSES).values("student_id")
        qs = (students.filter(Q(pk__in=suspected) | Q(pk__in=open_nr))
              .exclude(status=Student.Status.DROPPED_OUT).exclude(pk__in=dropout_eps.values("student_id")))
        level_q = Q(level=AbsenceLevel.SUSPECTED)
    if school:
        qs = qs.filter(school=school)
    if village:
        qs = qs.filter(village=village)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(name_pinyin__startswith=q.lower())
                       | Q(name_initials__startswith=q.lower()))
    eps = _episode_subquery(level_q)
    nr = NonReturnEntry.objects.filter(student=OuterRef("pk"), status__in=NonReturnEntry.OPEN_STATUSES).order_by("-pk")
    return (qs.select_related("school", "grade", "school_class__grade", "village")
            .annotate(streak_days=Subquery(eps.values("days")[:1]), streak_since=Subquery(eps.values("since")[:1]),
                      nonreturn_whereabouts=Subquery(nr.values("whereabouts")[:1]),
                      nonreturn_term=Subquery(nr.values("term_id")[:1]))
            .order_by("school__code", "grade__level", "school_class__number", "name_pinyin", "pk"))


def ledger_children(user, *, school=None, village=None, q=""):
    """适龄儿童: the population-list entries (学籍比对) the user covers — villages, 办事处, 教育办, never schools."""
    from students.models.imports import PopulationEntry

    qs = PopulationEntry.objects.visible_to(user)
    if village:
        qs = qs.filter(village=village)
    if school:
        qs = qs.filter(matched_student__school=school)
    if q:
        qs = qs.filter(name__contains=q)
    return (qs.select_related("village", "matched_student__school", "matched_student__school_class__grade")
            .order_by("village__code", "birth_date", "pk"))


def risk_for_page(students):
    return risk.assess_many(students)


def thresholds_display():
    return [(AbsenceLevel(level).label, days) for level, days in streaks.thresholds()]
