"""Reads of the notices app; every one takes the acting user and goes through kongchuo.access."""
from django.db.models import Q
from django.utils import timezone

from kongchuo import access
from notices.models import Notice, NoticeKind, NoticeTemplate

LIST_FILTERS = ("status", "kind", "school", "year", "q", "overdue")


def notice_queryset(user):
    return (Notice.objects.visible_to(user)
            .select_related("school", "template", "case__student__school_class__grade", "issued_by"))


def notice_list(user, *, status="", kind="", school=None, year=None, q="", overdue=False, now=None):
    qs = notice_queryset(user)
    if status in Notice.Status.values:
        qs = qs.filter(status=status)
    if kind in NoticeKind.values:
        qs = qs.filter(kind=kind)
    if school:
        qs = qs.filter(school_id=school)
    if year:
        qs = qs.filter(year=year)
    if overdue:
        now = now or timezone.now()
        qs = qs.filter(Q(status=Notice.Status.OVERDUE) | Q(status=Notice.Status.SERVED, due_at__lte=now))
    q = (q or "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Q(case__student__name__icontains=q) | Q(content__guardian_name__icontains=q)
        if digits and len(digits) <= 4:
            cond |= Q(seq=int(digits))
        qs = qs.filter(cond)
    return qs.order_by("-issued_at", "-pk")


def notice_get(user, pk):
    return access.get_visible_or_404(notice_queryset(user), user, pk=pk)


def notices_for_case(user, case):
    return notice_queryset(user).filter(case=case).order_by("-issued_at")


def notice_counts(user, *, now=None):
    """Numbers for the workbench panel: to serve, running, overdue (one query)."""
    from django.db.models import Count

    now = now or timezone.now()
    qs = Notice.objects.visible_to(user)
    return qs.aggregate(
        issued=Count("pk", filter=Q(status=Notice.Status.ISSUED)),
        running=Count("pk", filter=Q(status=Notice.Status.SERVED, due_at__gt=now)),
        overdue=Count("pk", filter=Q(status=Notice.Status.OVERDUE) | Q(status=Notice.Status.SERVED, due_at__lte=now)),
    )


def templates_for(user):
    return NoticeTemplate.objects.visible_to(user).select_related("area", "created_by").order_by("kind", "-version")


def schools_for(user):
    from kongchuo.models import School

    return access.visible(School, user).order_by("code")
