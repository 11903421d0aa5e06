"""我的工作台 panels: 今日点名 and students over a threshold (班主任), 未返校 counts (school admin, leaders)."""
from django.db.models import Count
from django.utils import timezone

from kongchuo import access
from kongchuo.workbench import register_panel
from kongchuo.workdays import WorkCalendar
from students.discovery import selectors
from students.discovery.term import current_term
from students.models.discovery import NonReturnEntry


@register_panel(order=12)
def rollcall_panel(request):
    user = request.user
    if not access.can(user, "absence.record"):
        return None
    classes = list(selectors.rollcall_classes(user))
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    day = selectors.latest_school_day(calendar, today)
    done = selectors.rollcall_done_today(classes, day)
    alerts = list(selectors.open_alerts(user)[:6])
    return {"title": "今日点名", "template": "students/discovery_panel_rollcall.html",
            "classes": [(c, c.pk in done) for c in classes[:8]], "more_classes": max(len(classes) - 8, 0),
            "day": day, "is_today": day == today, "alerts": alerts}


@register_panel(order=14)
def nonreturn_panel(request):
    user = request.user
    if not (access.can(user, "discovery.term_check") or access.can(user, "report.view")):
        return None
    term = current_term()
    if term is None:
        return None
    counts = dict(NonReturnEntry.objects.visible_to(user).filter(term=term).values_list("status")
                  .annotate(n=Count("pk")))
    rows = [(label, counts.get(value, 0)) for value, label in NonReturnEntry.Status.choices]
    return {"title": f"未返校学生（{term}）", "template": "students/discovery_panel_nonreturn.html",
            "rows": rows, "open": sum(counts.get(v, 0) for v in NonReturnEntry.OPEN_STATUSES), "term": term,
            "can_check": access.can(user, "discovery.term_check")}
