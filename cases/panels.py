"""我的工作台 panels of the cases app: my open cases, overdue at my tier(s), unread inbox."""
from django.urls import reverse
from django.utils import timezone

from kongchuo import access
from kongchuo.workbench import register_panel


@register_panel(order=21)
def my_cases_panel(request):
    if not access.can(request.user, "case.view"):
        return None
    from cases.selectors import my_case_counts

    counts = my_case_counts(request.user)
    return {"title": "我负责的个案", "template": "cases/panels/my_cases.html", **counts,
            "link": reverse("cases:list")}


@register_panel(order=22)
def overdue_panel(request):
    if not access.can(request.user, "case.view"):
        return None
    from cases.selectors import overdue_cases

    cases = overdue_cases(request.user, now=timezone.now())
    return {"title": "超期个案", "template": "cases/panels/overdue.html", "cases": cases[:5],
            "total": len(cases), "link": reverse("cases:list") + "?overdue=1"}


@register_panel(order=23)
def inbox_panel(request):
    from cases.selectors import inbox_summary

    summary = inbox_summary(request.user)
    return {"title": "站内消息", "template": "cases/panels/inbox.html", **summary, "link": reverse("cases:inbox")}
