"""Template helpers for the registry pages (students/)."""
from django import template
from django.utils.html import format_html

register = template.Library()

STATUS_CLASSES = {
    "enrolled": "text-bg-success", "suspended": "text-bg-warning", "transfer_pending": "text-bg-info",
    "transferred": "text-bg-secondary", "dropped_out": "text-bg-danger", "graduated": "text-bg-secondary",
    "deceased": "text-bg-dark", "not_enrolled": "text-bg-danger",
}
RISK_CLASSES = {"low": "text-bg-success", "medium": "text-bg-warning", "high": "text-bg-danger"}


@register.simple_tag
def status_badge(student_or_status, label=None):
    status = getattr(student_or_status, "status", student_or_status)
    if label is None:
        label = student_or_status.get_status_display() if hasattr(student_or_status, "get_status_display") else status
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(status, "text-bg-light"), label)


@register.simple_tag
def risk_badge(assessment):
    return format_html('<span class="badge {}">风险{}</span>', RISK_CLASSES.get(assessment.level, "text-bg-light"),
                       assessment.label)


@register.filter
def names(users):
    return "、".join(u.display_name for u in users) if users else ""


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """?page=N keeping the other query parameters."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.filter
def masked_id(value):
    from kongchuo.audit import mask_id

    return mask_id(value)


@register.filter
def masked_sn(value):
    """学籍号 G/J + 18 characters embed an ID-like number: mask it the same way (G411503********0012)."""
    from students.forms import mask_student_number

    return mask_student_number(value)
