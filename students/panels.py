"""我的工作台 panel of the registry: per school, 重点关注 / 未包保 / 转出待确认 / 休学 with links (one query)."""
from django.db.models import Count, Exists, OuterRef, Q

from kongchuo import access
from kongchuo.models import School
from kongchuo.workbench import register_panel
from students.models import CareAssignment, Student, VulnerabilityFlag

MAX_SCHOOLS_WITH_COUNTS = 3


@register_panel(order=11)
def registry_panel(request):
    user = request.user
    if not access.can(user, "student.view"):
        return None
    schools = list(access.visible(School, user).order_by("code")[:MAX_SCHOOLS_WITH_COUNTS + 1])
    if not schools:
        return None
    rows = []
    if len(schools) <= MAX_SCHOOLS_WITH_COUNTS:
        flagged = VulnerabilityFlag.objects.filter(student=OuterRef("pk"), end_date__isnull=True)
        cared = CareAssignment.objects.filter(student=OuterRef("pk"), is_active=True)
        counts = {r["school"]: r for r in Student.objects.visible_to(user).active()
                  .filter(school__in=schools).values("school")
                  .annotate(flagged=Count("pk", filter=Exists(flagged)), no_carer=Count("pk", filter=~Exists(cared)),
                            pending=Count("pk", filter=Q(status=Student.Status.TRANSFER_PENDING)),
                            suspended=Count("pk", filter=Q(status=Student.Status.SUSPENDED)))}
        rows = [(s, counts.get(s.pk, {})) for s in schools]
    else:
        rows = [(s, None) for s in access.visible(School, user).order_by("code")]
    return {"title": "学籍与包保", "template": "students/panel_registry.html", "rows": rows}
