"""Template helpers for discovery pages."""
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def student_link(student, text=None):
    """A link to the student's detail page (students:detail, the registry's), or the plain name without one."""
    label = text or student.name
    try:
        url = reverse("students:detail", args=[student.pk])
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def cn_date(value):
    """2026-09-01 → 2026年9月1日."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def md(value):
    """2026-09-01 → 9月1日."""
    if not value:
        return ""
    return f"{value.month}月{value.day}日"


WEEKDAYS = "一二三四五六日"


@register.filter
def weekday(value):
    return f"周{WEEKDAYS[value.weekday()]}" if value else ""
