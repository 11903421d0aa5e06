from django import template

register = template.Library()


@register.inclusion_tag("kongchuo/_jobs_badge.html", takes_context=True)
def jobs_badge(context):
    """我的任务 in the navigation bar, with the number of the user's queued/running jobs (one COUNT query)."""
    from kongchuo.jobs.views import running_count

    request = context.get("request")
    return {"running": running_count(getattr(request, "user", None))}
