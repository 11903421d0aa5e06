"""`{% notice_badge notice %}` and `{% case_notices case %}` (the notices section of a case page)."""
from django import template
from django.utils import timezone
from django.utils.html import format_html

from kongchuo import access

register = template.Library()

BADGES = {
    "issued": "text-bg-warning", "served": "text-bg-primary", "returned": "text-bg-success",
    "ended": "text-bg-secondary", "overdue": "text-bg-danger", "cancelled": "text-bg-light border",
}


@register.simple_tag
def notice_badge(notice, now=None):
    now = now or timezone.now()
    if notice.is_overdue(now):
        label, css = "逾期", BADGES["overdue"]
        if notice.status == notice.Status.OVERDUE:
            label = "逾期 · 已上报管理区"
    elif notice.status == notice.Status.SERVED:
        days = notice.days_left()
        label, css = f"期限中 · 剩 {days} 天" if days is not None else "期限中", BADGES["served"]
    else:
        label, css = notice.get_status_display(), BADGES.get(notice.status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.inclusion_tag("notices/_case_notices.html", takes_context=True)
def case_notices(context, case):
    """Drop into the case detail page: `{% load notices_tags %}{% case_notices case %}`."""
    from notices import selectors, services

    user = context["request"].user
    can_view = access.can(user, "notice.view")
    can_issue = access.can(user, "notice.issue", case)
    notices = list(selectors.notices_for_case(user, case)) if can_view else []
    return {"case": case, "notices": notices, "can_issue": can_issue,
            "problems": services.issue_problems(case) if can_issue else [], "show": can_view or can_issue}
