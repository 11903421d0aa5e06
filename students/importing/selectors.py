"""Reads of the import screens (always through the user's scope). Other apps (三本台账) use population_candidates."""
from django.db.models import Count, Q

from kongchuo import access
from kongchuo.models import School
from students.models import ImportBatch, PopulationEntry, PopulationList


def importable_schools(user):
    """Schools the user may import 学籍 for (school admins: their school)."""
    if not access.can(user, "student.import"):
        return School.objects.none()
    q = access.scope_q(School, user, roles=access.ACTIONS["student.import"])
    if q is access.NOTHING:
        return School.objects.none()
    return School.objects.filter(q).order_by("code")


def import_batches(user):
    return (ImportBatch.objects.visible_to(user).select_related("school", "uploaded_by", "committed_by")
            .defer("errors", "warnings", "details"))


def population_lists(user):
    return (PopulationList.objects.visible_to(user).select_related("village", "subdistrict", "area", "uploaded_by")
            .defer("errors", "warnings", "details"))


def population_entries(user):
    return PopulationEntry.objects.visible_to(user).select_related("village", "verified_by")


def population_candidates(user, *, status=None, village=None):
    """Children of the population lists who are not found on any roll (the 学籍比对 candidates), in scope.

    status: one PopulationEntry.Status value (default: all candidate statuses)."""
    qs = population_entries(user).exclude(candidate_kind="")
    if status:
        qs = qs.filter(status=status)
    if village:
        qs = qs.filter(village_id=village)
    return qs.order_by("status", "village__code", "birth_date", "pk")


def population_summary(user):
    """Counts per status for the entries the user can see (one query)."""
    qs = PopulationEntry.objects.visible_to(user)
    statuses = PopulationEntry.Status
    return qs.aggregate(total=Count("pk"), **{s.value: Count("pk", filter=Q(status=s.value)) for s in statuses})
