from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kongchuo import access
from kongchuo.models import AccessLog, Role, School
from kongchuo.workbench import panels_for, register_panel
from kongchuo.serving import stored_file_response


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - health check reports, never raises
        return JsonResponse({"status": "error", "database": "error", "detail": exc.__class__.__name__}, status=503)
    return JsonResponse({"status": "ok", "database": db, "vendor": connection.vendor})


def workbench(request):
    return render(request, "kongchuo/workbench.html", {"panels": panels_for(request)})


@register_panel(order=0)
def _roles_panel(request):
    scope = access.get_scope(request.user)
    return {"title": "我的职责", "template": "kongchuo/panels/roles.html", "assignments": scope.assignments,
            "no_role": not scope.assignments}


@register_panel(order=10)
def _students_panel(request):
    if not access.can(request.user, "student.view"):
        return None
    from students.models import Student

    counts = dict(Student.objects.visible_to(request.user).values_list("status").annotate(n=Count("pk")))
    rows = [(label, counts.get(value, 0)) for value, label in Student.Status.choices if counts.get(value)]
    return {"title": "我负责的学生", "template": "kongchuo/panels/counts.html", "rows": rows,
            "total": sum(counts.values())}


@register_panel(order=20)
def _cases_panel(request):
    if not access.can(request.user, "case.view"):
        return None
    from cases.models import Case

    counts = dict(Case.objects.visible_to(request.user).alive().values_list("status").annotate(n=Count("pk")))
    rows = [(label, counts.get(value, 0)) for value, label in Case.Status.choices if counts.get(value)]
    return {"title": "我能看到的个案", "template": "kongchuo/panels/counts.html", "rows": rows,
            "total": sum(counts.values())}


@register_panel(order=90)
def _sysadmin_panel(request):
    if not access.has_role(request.user, Role.SYSADMIN):
        return None
    return {"title": "系统配置", "template": "kongchuo/panels/sysadmin.html"}


def school_list(request):
    if not access.can(request.user, "org.view"):
        raise PermissionDenied
    schools = (School.objects.visible_to(request.user) if hasattr(School.objects, "visible_to")
               else access.visible(School, request.user))
    schools = schools.select_related("subdistrict").annotate(n_grades=Count("grades", distinct=True))
    return render(request, "kongchuo/school_list.html", {"schools": schools})


def school_detail(request, pk):
    school = access.get_visible_or_404(School, request.user, pk=pk)
    grades = school.grades.filter(school_year__is_current=True).prefetch_related("classes")
    group = getattr(school, "leadership_group", None) if hasattr(school, "leadership_group") else None
    return render(request, "kongchuo/school_detail.html", {"school": school, "grades": grades, "group": group})


def school_work_plan(request, pk):
    school = access.get_visible_or_404(School, request.user, pk=pk)
    if not school.work_plan:
        raise Http404("尚未上传工作方案")
    name = f"{school.name}控辍保学工作方案{Path(school.work_plan.name).suffix}"
    return stored_file_response(school.work_plan, filename=name, attachment=True)


def audit_list(request):
    if not access.can(request.user, "audit.view"):
        raise PermissionDenied
    logs = AccessLog.objects.select_related("user")
    action = request.GET.get("action", "")
    if action in AccessLog.Action.values:
        logs = logs.filter(action=action)
    q = request.GET.get("q", "").strip()
    if q:
        logs = logs.filter(username__icontains=q)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    return render(request, "kongchuo/accesslog_list.html",
                  {"page": page, "actions": AccessLog.Action.choices, "action": action, "q": q})


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the Chinese page shell instead of Django's English default (status 403)."""
    return render(request, "403_csrf.html", status=403)
