"""账号开通单: one slip per new (or reset) account — name, school, roles, username, one-time password, where to log
in — four to an A4 page with cut lines, rendered with WeasyPrint like the notices (notices/pdfworker.py)."""
from django.conf import settings
from django.template.loader import render_to_string


def font_family():
    return settings.KONGCHUO.get("NOTICE_FONT_FAMILY") or "Noto Serif CJK SC"


def slips_html(entries, *, login_url="", issued_by=""):
    """entries: [{"name", "school", "roles", "username", "password"}]."""
    return render_to_string("staff/slips.html", {"entries": entries, "login_url": login_url,
                                                 "issued_by": issued_by, "font": font_family()})


def slips_pdf(entries, **kwargs):
    from notices.pdfworker import write_pdf

    return write_pdf(slips_html(entries, **kwargs))


def entries_from_credentials(credentials):
    return [{"name": c["user"].display_name if hasattr(c["user"], "display_name") else c["user"].real_name,
             "school": str(c.get("school") or ""), "roles": "、".join(c.get("roles") or []),
             "username": c["user"].username, "password": c["password"]} for c in credentials]
