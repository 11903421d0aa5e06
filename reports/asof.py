"""One definition of who is out of school, AS OF A DATE (DESIGN.md: one definition per figure).

Every category is computed from dated history — 学籍异动 (StatusChange.date), case events (CaseEvent.at), absence
alerts and episodes (AbsenceAlert.reached_on, AbsenceEpisode.since/ended_on), exemption approval steps
(ExemptionStep.at), 送教上门 plans (start/end dates), home visits (visit_date), 未返校 entries (term, created,
returned_on), assistance records (date) — never from today's `status` fields, so a past month reads the same
next year. The README section "控辍保学口径" states each category in words; keep the two in step.

A child is in exactly one category as of D; the first matching rule in PRECEDENCE wins. 资助 and 适龄儿童 are not
categories but lists beside them (a 辍学 child can also receive 资助).

Everything is one SQL query per list (correlated subqueries, no per-row work), so the number of queries does not
grow with rows. Scope: the rows come only from `Student.objects.visible_to(user)` (kongchuo/access.py).
"""
import datetime

from django.conf import settings
from django.db.models import Case as When_, CharField, DateTimeField, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.models import AssistanceRecord, Case, CaseEvent, Exemption, ExemptionStep, HomeVisit, TeachingPlan
from kongchuo.models import Term
from students.models import Student, StatusChange
from students.models.discovery import AbsenceAlert, AbsenceEpisode, AbsenceLevel, NonReturnEntry

# ---------------------------------------------------------------- categories (key, label), in precedence order
LEFT = "left"
EXEMPT = "exempt"
DEFERRED = "deferred"
HOME_TEACHING = "home_teaching"
SUSPENDED = "suspended"
DROPOUT = "dropout"
TRANSFER_PENDING = "transfer_pending"
SUSPECTED = "suspected"
NOT_RETURNED = "not_returned"
RETURNED = "returned"
ENROLLED = "enrolled"

CATEGORIES = {
    LEFT: "已离开学籍（转出/毕业/死亡）",
    EXEMPT: "免学",
    DEFERRED: "缓学",
    HOME_TEACHING: "送教上门",
    SUSPENDED: "休学",
    DROPOUT: "辍学",
    TRANSFER_PENDING: "转出待确认",
    SUSPECTED: "疑似辍学",
    NOT_RETURNED: "未返校",
    RETURNED: "已劝返复学（本学期）",
    ENROLLED: "在读",
}
PRECEDENCE = list(CATEGORIES)

S = Student.Status
LEFT_STATUSES = [S.TRANSFERRED, S.GRADUATED, S.DECEASED, S.NOT_ENROLLED]
# Case statuses meaning "the child is out of school and being persuaded back" (the case lifecycle).
OPEN_OUT_STATUSES = [Case.Status.PERSUADING, Case.Status.NOTICE_SERVED, Case.Status.REPORTED]


def dropout_after_days():
    """疑似辍学 for longer than this (calendar days, 'more than a month') counts as 辍学. Setting."""
    return int(settings.KONGCHUO.get("ROSTER_DROPOUT_AFTER_DAYS", 30))


def unreachable_days():
    """A last home visit '未能联系' within this many days makes the child 疑似辍学 (unreachable). Setting."""
    return int(settings.KONGCHUO.get("ROSTER_UNREACHABLE_DAYS", 30))


def end_of(day):
    """The first instant after `day` in the local time zone (datetimes are compared with `< end_of(day)`)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def month_end(year, month):
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - datetime.timedelta(days=1)


def term_of(day):
    """The term a date belongs to: the latest term started on or before it (its vacation included)."""
    return Term.objects.filter(start_date__lte=day).order_by("-start_date").first()


# ---------------------------------------------------------------- the history, as subqueries
def _status_as_of(day):
    """学籍状态 on `day`: the latest 学籍异动 on or before it; before the first change, that change's 'before'."""
    latest = StatusChange.objects.filter(student=OuterRef("pk"), date__lte=day).order_by("-date", "-pk")
    first_later = StatusChange.objects.filter(student=OuterRef("pk"), date__gt=day).order_by("date", "pk")
    return Coalesce(Subquery(latest.values("status_after")[:1]), Subquery(first_later.values("status_before")[:1]),
                    F("status"), output_field=CharField())


def _filed_exemption(day, kind):
    filed = ExemptionStep.objects.filter(exemption=OuterRef("pk"), step=ExemptionStep.Step.OFFICE,
                                         decision=ExemptionStep.Decision.APPROVE, at__lt=end_of(day))
    return Exists(Exemption.objects.filter(student=OuterRef("pk"), kind=kind, start_date__lte=day,
                                           end_date__gte=day).filter(Exists(filed)))


def _alert(day, levels):
    """An absence alert of one of `levels` reached on or before `day`, in a streak still running on `day`."""
    running = Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    alerted = Exists(AbsenceAlert.objects.filter(student=OuterRef("pk"), level__in=levels, reached_on__lte=day,
                                                 episode__since__lte=day)
                     .filter(Q(episode__ended_on__isnull=True) | Q(episode__ended_on__gt=day)))
    # An episode's level only rises; by its last absent day it had reached its recorded level. So an episode whose
    # last absent day is on or before `day` and which still runs on `day` held that level then (this also covers
    # episodes recorded without alert rows).
    reached = Exists(AbsenceEpisode.objects.filter(running, student=OuterRef("pk"), level__in=levels,
                                                   last_absent_on__lte=day))
    return alerted | reached


def _cases_as_of(day):
    """The student's cases that existed on `day`, each with its status then and when it entered the 劝返 stages."""
    end = end_of(day)
    events = CaseEvent.objects.filter(case=OuterRef("pk"), at__lt=end).exclude(to_status="")
    last_out = events.exclude(to_status__in=OPEN_OUT_STATUSES).order_by("-at", "-pk").values("at")[:1]
    entered = (CaseEvent.objects.filter(case=OuterRef("pk"), at__lt=end, to_status__in=OPEN_OUT_STATUSES,
                                        at__gt=Coalesce(OuterRef("last_out"), Value(
                                            datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)),
                                            output_field=DateTimeField()))
               .order_by("at", "pk").values("at")[:1])
    return (Case.objects.filter(student=OuterRef("pk"), deleted_at__isnull=True, opened_at__lt=end)
            .annotate(status_then=Subquery(events.order_by("-at", "-pk").values("to_status")[:1]))
            .annotate(last_out=Subquery(last_out, output_field=DateTimeField()))
            .annotate(entered_out=Subquery(entered, output_field=DateTimeField())))


def annotate_as_of(qs, day):
    """Annotate a Student queryset with `category` (and the facts behind it) as of `day`."""
    end = end_of(day)
    term = term_of(day)
    cases = _cases_as_of(day)
    open_out = cases.filter(status_then__in=OPEN_OUT_STATUSES)
    long_out = open_out.filter(entered_out__lt=end - datetime.timedelta(days=dropout_after_days()))
    last_visit = HomeVisit.objects.filter(student=OuterRef("pk"), visit_date__lte=day).order_by("-visit_date", "-pk")
    if term is not None:
        term_start = term.start_date
        # 未返校 is a fact from the term's first day (whenever the check registered it) until the return date;
        # a 学籍异动 in the term (休学, 转出, 辍学, 复学 …) hands the child to that status.
        nonreturn = (Exists(NonReturnEntry.objects.filter(student=OuterRef("pk"), term=term)
                            .filter(Q(returned_on__gt=day)
                                    | Q(returned_on__isnull=True) & ~Q(status=NonReturnEntry.Status.RETURNED)))
                     & ~Exists(StatusChange.objects.filter(student=OuterRef("pk"), date__gte=term_start,
                                                           date__lte=day)))
    else:
        term_start = day - datetime.timedelta(days=183)
        nonreturn = Value(False)
    returned = Exists(CaseEvent.objects.filter(case__student=OuterRef("pk"), case__deleted_at__isnull=True,
                                               at__gte=end_of(term_start - datetime.timedelta(days=1)), at__lt=end)
                      .filter(Q(kind=CaseEvent.Kind.RETURN) | Q(to_status=Case.Status.RETURNED)))
    qs = qs.annotate(
        status_then=_status_as_of(day),
        is_exempt=_filed_exemption(day, Exemption.Kind.EXEMPTION),
        is_deferred=_filed_exemption(day, Exemption.Kind.DEFERRAL),
        is_home_taught=Exists(TeachingPlan.objects.filter(student=OuterRef("pk"), start_date__lte=day,
                                                          end_date__gte=day)),
        dropout_alert=_alert(day, [AbsenceLevel.DROPOUT]),
        suspected_alert=_alert(day, [AbsenceLevel.SUSPECTED, AbsenceLevel.DROPOUT]),
        case_open_out=Exists(open_out),
        case_long_out=Exists(long_out),
        last_visit_attitude=Subquery(last_visit.values("guardian_attitude")[:1]),
        last_visit_date=Subquery(last_visit.values("visit_date")[:1]),
        not_returned_then=nonreturn,
        returned_this_term=returned,
    )
    unreachable = Q(last_visit_attitude=HomeVisit.Attitude.UNREACHABLE,
                    last_visit_date__gte=day - datetime.timedelta(days=unreachable_days()))
    return qs.annotate(category=When_(
        When(status_then__in=LEFT_STATUSES, then=Value(LEFT)),
        When(is_exempt=True, then=Value(EXEMPT)),
        When(is_deferred=True, then=Value(DEFERRED)),
        When(is_home_taught=True, then=Value(HOME_TEACHING)),
        When(status_then=S.SUSPENDED, then=Value(SUSPENDED)),
        When(Q(status_then=S.DROPPED_OUT) | Q(dropout_alert=True) | Q(case_long_out=True), then=Value(DROPOUT)),
        When(status_then=S.TRANSFER_PENDING, then=Value(TRANSFER_PENDING)),
        When(Q(suspected_alert=True) | Q(case_open_out=True) | unreachable, then=Value(SUSPECTED)),
        When(not_returned_then=True, then=Value(NOT_RETURNED)),
        When(returned_this_term=True, then=Value(RETURNED)),
        default=Value(ENROLLED), output_field=CharField()))


def assisted_q(day):
    """资助: an assistance record dated in the school year of `day`, on or before it (not deleted)."""
    year_start = _year_start(day)
    return Exists(AssistanceRecord.objects.filter(student=OuterRef("pk"), is_deleted=False, date__lte=day,
                                                  date__gte=year_start))


def _year_start(day):
    from kongchuo.models import SchoolYear

    year = SchoolYear.objects.filter(start_date__lte=day).order_by("-start_date").values("start_date").first()
    return year["start_date"] if year else datetime.date(day.year - (day.month < 9), 9, 1)


# ---------------------------------------------------------------- selectors (always the acting user)
def students_as_of(user, day, *, school=None, categories=None, assisted=False):
    """The students `user` may see, each annotated with its category as of `day`; optionally filtered."""
    qs = Student.objects.visible_to(user)
    if school is not None:
        qs = qs.filter(school=school)
    qs = annotate_as_of(qs, day)
    if categories:
        qs = qs.filter(category__in=list(categories))
    if assisted:
        qs = qs.filter(assisted_q(day))
    return qs.order_by("school__code", "grade__level", "school_class__number", "name_pinyin", "pk")


def category_of(user, student, day):
    row = annotate_as_of(Student.objects.visible_to(user).filter(pk=student.pk), day).values("category").first()
    return row["category"] if row else None


def counts_as_of(user, day, *, school=None):
    """{(school_id, category): n} plus {(school_id, 'assisted'): n} — one grouped query each."""
    from django.db.models import Count

    base = Student.objects.visible_to(user)
    if school is not None:
        base = base.filter(school=school)
    out = {}
    for row in (annotate_as_of(base, day).order_by().values("school_id", "category")
                .annotate(n=Count("pk", distinct=True))):
        out[(row["school_id"], row["category"])] = row["n"]
    for row in (base.filter(assisted_q(day)).order_by().values("school_id").annotate(n=Count("pk", distinct=True))):
        out[(row["school_id"], "assisted")] = row["n"]
    return out


def children_as_of(user, day, *, school=None, village=None):
    """适龄儿童台账: the population-list entries the user covers, recorded on or before `day`."""
    from students.models.imports import PopulationEntry

    qs = PopulationEntry.objects.visible_to(user).filter(created__lt=end_of(day))
    if village is not None:
        qs = qs.filter(village=village)
    if school is not None:
        qs = qs.filter(matched_student__school=school)
    return qs.select_related("village__subdistrict", "matched_student__school").order_by("village__code",
                                                                                          "birth_date", "pk")


# ---------------------------------------------------------------- the 三本台账 pages (students) read this definition
LEDGER_BOOKS = {"suspected": [SUSPECTED, NOT_RETURNED], "dropout": [DROPOUT]}


def ledger_filter(qs, book, day):
    """Registered into students.discovery.selectors (students must not import reports): the book's students."""
    return annotate_as_of(qs, day).filter(category__in=LEDGER_BOOKS[book])
