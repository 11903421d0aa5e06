"""我的工作台 panel: notices to serve, running and overdue (one query)."""
from kongchuo import access
from kongchuo.workbench import register_panel


@register_panel(order=35)
def notices_panel(request):
    if not access.can(request.user, "notice.view"):
        return None
    from notices.selectors import notice_counts

    counts = notice_counts(request.user)
    rows = [("待送达", counts["issued"]), ("期限中", counts["running"]), ("逾期", counts["overdue"])]
    return {"title": "劝返通知书", "template": "notices/panel.html", "rows": rows, "overdue": counts["overdue"]}
