from django import template
from django.utils import timezone

register = template.Library()

STATUS_CLASS = {
    "warning": "text-bg-warning", "persuading": "text-bg-info", "notice_served": "text-bg-primary",
    "reported": "text-bg-danger", "returned": "text-bg-success", "retention": "text-bg-success",
    "paused": "text-bg-secondary",
}
STAGE_ICON = {"teacher": "person", "school": "building", "office": "bank", "subdistrict": "shield-exclamation"}


@register.filter
def status_class(status):
    return STATUS_CLASS.get(status, "text-bg-dark")


@register.filter
def stage_icon(stage):
    return STAGE_ICON.get(stage, "circle")


@register.filter
def is_overdue(case, now=None):
    return case.is_overdue(now or timezone.now())


@register.filter
def overdue_on(followup, today):
    return followup.is_overdue(today)


@register.inclusion_tag("cases/_inbox_link.html", takes_context=True)
def inbox_link(context):
    """The bell in the navigation bar with the unread count (one COUNT query)."""
    from cases.selectors import unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user) if user is not None else 0}
