"""Reads of the cases app. Every selector takes the acting user and starts from a scoped queryset."""
import datetime
from dataclasses import dataclass

from django.db.models import Case as When_, Count, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from cases.models import (
    AssistanceRecord, Case, CaseClosure, CaseEvent, Exemption, FollowUp, HomeVisit, Notification, TeachingPlan,
    TeachingSession,
)
from kongchuo import access
from kongchuo.workdays import WorkCalendar

LIST_VIEWS = {"mine": "我负责的", "tier": "本层级", "all": "全部可见"}


def visible_cases(user):
    return Case.objects.visible_to(user).alive()


def _with_list_data(qs, now):
    overdue = Q(stage_due_at__lt=now, status__in=Case.OUT_OF_SCHOOL_STATUSES)
    return (qs.select_related("student__school_class__grade", "school", "owner")
            .prefetch_related("reasons")
            .annotate(visit_count=Count("visits", filter=Q(visits__is_deleted=False), distinct=True),
                      overdue_rank=When_(When(overdue, then=Value(0)), default=Value(1),
                                         output_field=IntegerField())))


@dataclass
class CaseFilters:
    view: str = "all"
    status: str = ""
    stage: str = ""
    reason: str = ""
    trigger: str = ""
    overdue: bool = False
    closed: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, params, default_view):
        view = params.get("view") or default_view
        return cls(
            view=view if view in LIST_VIEWS else default_view,
            status=params.get("status", "") if params.get("status", "") in Case.Status.values else "",
            stage=params.get("stage", "") if params.get("stage", "") in Case.Stage.values else "",
            reason=params.get("reason", "") if params.get("reason", "") in Case.Reason.values else "",
            trigger=params.get("trigger", "") if params.get("trigger", "") in Case.Trigger.values else "",
            overdue=params.get("overdue") == "1",
            closed=params.get("closed") == "1",
            q=(params.get("q") or "").strip()[:50],
        )


def default_list_view(user):
    return "mine" if Case.objects.open().filter(owner=user).exists() else "all"


def case_list(user, filters: CaseFilters, now=None):
    """Cases for the list page: overdue first, then by deadline; constant number of queries."""
    now = now or timezone.now()
    qs = visible_cases(user)
    if filters.view == "mine":
        qs = qs.filter(Q(owner=user) | Q(mentor=user))
    elif filters.view == "tier":
        qs = qs.filter(stage__in=access.case_stage_of(user) or ["-"])
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif not filters.closed:
        qs = qs.exclude(status__in=Case.CLOSED_STATUSES)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.reason:
        qs = qs.filter(reasons__reason=filters.reason)
    if filters.trigger:
        qs = qs.filter(trigger=filters.trigger)
    if filters.overdue:
        qs = qs.filter(stage_due_at__lt=now, status__in=Case.OUT_OF_SCHOOL_STATUSES)
    if filters.q:
        qs = qs.filter(Q(student__name__contains=filters.q) | Q(student__name_pinyin__startswith=filters.q.lower())
                       | Q(student__name_initials__startswith=filters.q.lower()))
    return _with_list_data(qs, now).order_by("overdue_rank", "stage_due_at", "-opened_at", "pk")


def case_for_detail(user, pk):
    """One visible case with everything its page shows (404 outside scope)."""
    qs = (visible_cases(user).select_related(
        "student__school_class__grade", "student__village", "school", "owner", "mentor", "opened_by", "closed_by",
        "responsible_teacher", "responsible_school", "responsible_office", "responsible_subdistrict")
        .prefetch_related(
            "reasons",
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("-at", "-id")),
            Prefetch("visits", queryset=HomeVisit.objects.alive().select_related("created_by")
                     .prefetch_related("photos", "visitors").order_by("-visit_date", "-id")),
            Prefetch("followups", queryset=FollowUp.objects.select_related("done_by").order_by("due_date", "id")),
            Prefetch("closures", queryset=CaseClosure.objects.select_related("requested_by", "reviewer")),
        ))
    return access.get_visible_or_404(qs, user, pk=pk)


def my_case_counts(user):
    qs = Case.objects.open().filter(Q(owner=user) | Q(mentor=user))
    counts = dict(qs.values_list("status").annotate(n=Count("pk")).order_by())
    rows = [(label, counts[value]) for value, label in Case.Status.choices if counts.get(value)]
    return {"rows": rows, "total": sum(counts.values())}


def overdue_cases(user, now=None):
    now = now or timezone.now()
    return list(visible_cases(user).overdue(now).filter(status__in=Case.OUT_OF_SCHOOL_STATUSES)
                .select_related("student", "owner").order_by("stage_due_at")[:50])


def inbox_summary(user):
    qs = Notification.objects.filter(recipient=user)
    return {"unread": qs.filter(read_at__isnull=True).count(), "latest": list(qs[:5])}


def inbox(user, unread_only=False):
    qs = Notification.objects.filter(recipient=user).select_related("case__student")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user):
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# ---------------------------------------------------------------------------------------------- visits
def visits_for(user, *, mine=False, without_case=False):
    qs = (HomeVisit.objects.visible_to(user).alive()
          .select_related("student__school_class__grade", "case", "created_by").prefetch_related("photos"))
    if mine:
        qs = qs.filter(Q(created_by=user) | Q(visitors=user)).distinct()
    if without_case:
        qs = qs.filter(case__isnull=True)
    return qs.order_by("-visit_date", "-id")


# ---------------------------------------------------------------------------------------------- exemptions
def exemptions_for(user, status=""):
    qs = Exemption.objects.visible_to(user).alive().select_related("student__school", "applied_by", "case")
    if status == "pending":
        qs = qs.filter(status__in=Exemption.PENDING_STATUSES)
    elif status in Exemption.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-applied_at")


def exemption_waiting_for(user, exemption):
    """The access action `user` would use to decide this exemption's current step, or None."""
    from cases.services.support import EXEMPTION_FLOW

    flow = EXEMPTION_FLOW.get(exemption.status)
    if flow and access.can(user, flow[1], exemption):
        return flow
    return None


# ---------------------------------------------------------------------------------------------- 送教上门
def plans_for(user, school_id=None):
    qs = (TeachingPlan.objects.visible_to(user).alive()
          .select_related("student__school_class__grade", "school").prefetch_related("teachers")
          .annotate(session_count=Count("sessions")))
    if school_id:
        qs = qs.filter(school_id=school_id)
    return qs.order_by("school__code", "student__name")


def planned_vs_delivered(plan, until=None):
    """Per month of the plan: planned sessions (scheduled weekdays that are school days) and delivered ones."""
    calendar = WorkCalendar.load()
    last = min(plan.end_date, until or plan.end_date)
    weekdays = set(plan.weekdays)
    delivered = {}
    for d in plan.sessions.values_list("date", flat=True):
        key = (d.year, d.month)
        delivered[key] = delivered.get(key, 0) + 1
    rows, day = [], plan.start_date
    planned = {}
    while day <= last:
        if day.weekday() in weekdays and calendar.is_school_day(day):
            planned[(day.year, day.month)] = planned.get((day.year, day.month), 0) + 1
        day += datetime.timedelta(days=1)
    keys = sorted(set(planned) | {k for k in delivered if (k[0], k[1]) <= (last.year, last.month)})
    for key in keys:
        p, d = planned.get(key, 0), delivered.get(key, 0)
        rows.append({"month": f"{key[0]}年{key[1]}月", "planned": p, "delivered": d,
                     "rate": round(d * 100 / p) if p else None, "short": d < p})
    return rows


def sessions_for(plan):
    return TeachingSession.objects.filter(plan=plan).select_related("teacher").prefetch_related("photos")


# ---------------------------------------------------------------------------------------------- 资助
def assistance_for(user, student=None):
    qs = AssistanceRecord.objects.visible_to(user).alive().select_related("student", "recorded_by", "case")
    if student is not None:
        qs = qs.filter(student=student)
    return qs.order_by("-date", "-id")
