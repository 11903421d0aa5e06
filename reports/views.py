from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from kongchuo import access
from kongchuo.jobs.services import job_start

from . import rosters, services
from .forms import RosterExportForm
from .jobs import ROSTER_JOB


def roster_export_view(request):
    """花名册导出: pick kind, month, school (as scope allows) and purpose → a background job → its page."""
    if not access.can(request.user, "report.export"):
        raise Http404("未找到")
    form = RosterExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        year, month = d["month"]
        school = d["school"]
        try:
            req = services.check_export(actor=request.user, kind=d["kind"], year=year, month=month, school=school,
                                        unmask=d.get("unmask", False), purpose=d["purpose"])
        except (rosters.ExportError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            job = job_start(actor=request.user, kind=ROSTER_JOB,
                            label=f"导出：{rosters.file_name(req).removesuffix('.xlsx')}",
                            params={"kind": d["kind"], "year": year, "month": month,
                                    "school": school.pk if school else None, "unmask": req.unmask,
                                    "purpose": d["purpose"]})
            messages.info(request, "导出已开始，完成后可在本页下载。")
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "reports/roster_export.html", {"form": form, "kinds": rosters.KINDS.values()})
