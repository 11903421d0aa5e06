"""The student page: family, household, flags, 学籍异动, enrolments, 包保 chain, edit log."""
from dataclasses import dataclass
from functools import reduce
import operator

from django.db.models import Q

from kongchuo import access
from students.models import (
    CareAssignment, Enrolment, FamilyMember, OfficeSchoolLiaison, StatusChange, Student, VulnerabilityFlag,
)

def student_for(user, pk, *, for_update=False):
    qs = Student.objects.select_related("school", "grade__school_year", "school_class__grade", "village__subdistrict")
    return access.get_visible_or_404(qs, user, pk=pk)


def family_of(student):
    return list(student.family_members.all())


def siblings_of(student, user, family=None):
    """Students sharing a guardian (same guardian ID number, or same name + phone when no ID) — the household.
    Returns [(sibling, visible_to_user)]; siblings outside the user's scope are shown without details."""
    guardians = [m for m in (family if family is not None else family_of(student)) if m.is_guardian]
    parts = [Q(id_number__in=[g.id_number for g in guardians if g.id_number])]
    parts += [Q(name=g.name, phone=g.phone) for g in guardians if g.phone]
    if not guardians:
        return []
    members = FamilyMember.objects.filter(reduce(operator.or_, parts), is_guardian=True).exclude(student=student)
    siblings = list(Student.objects.filter(pk__in=members.values("student_id"))
                    .select_related("school", "school_class__grade").order_by("birth_date", "pk")[:20])
    if not siblings:
        return []
    visible = set(Student.objects.visible_to(user).filter(pk__in=[s.pk for s in siblings])
                  .values_list("pk", flat=True))
    return [(s, s.pk in visible) for s in siblings]


def flags_of(student):
    return list(VulnerabilityFlag.objects.filter(student=student).select_related("set_by", "ended_by")
                .order_by("end_date", "-start_date", "-pk"))


def status_changes_of(student):
    return list(StatusChange.objects.filter(student=student)
                .select_related("recorded_by", "from_school", "to_school", "from_class__grade", "to_class__grade",
                                "confirmation__receiving_school", "confirmation__confirmed_by")
                .prefetch_related("documents").order_by("-date", "-pk"))


def enrolments_of(student):
    return list(Enrolment.objects.filter(student=student)
                .select_related("school_year", "school", "grade", "school_class__grade").order_by("-start_date", "-pk"))


@dataclass
class CareChain:
    teachers: list
    head_teachers: list
    grade_leaders: list
    principals: list
    liaisons: list


def care_chain(student):
    """包保 chain: 科任教师 ↔ student, 班主任 ↔ class, 校领导 ↔ grade, 校长 ↔ school, 教育办领导 ↔ school."""
    from kongchuo.models import Role

    teachers = list(CareAssignment.objects.filter(student=student, is_active=True).select_related("teacher"))
    holders = access.responsible_holders(school_class_ids=[student.school_class_id], grade_ids=[student.grade_id],
                                         school_ids=[student.school_id])
    liaisons = list(OfficeSchoolLiaison.objects.filter(school_id=student.school_id, is_active=True)
                    .select_related("leader")) if student.school_id else []
    return CareChain(teachers=teachers, head_teachers=holders[Role.HEAD_TEACHER],
                     grade_leaders=holders[Role.GRADE_LEADER], principals=holders[Role.SCHOOL_ADMIN],
                     liaisons=liaisons)


def change_log(student, limit=10):
    """Recent profile edits from the history table: who, when, which fields (values are not shown: they may be
    ID or phone numbers). One query."""
    records = list(student.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit + 1])
    fields = [f for f in Student._meta.concrete_fields if f.name not in ("updated", "created", "id")]
    log = []
    for newer, older in zip(records, records[1:] + [None]):
        if older is None:
            changed = ["新建"] if newer.history_type == "+" else ["修改（更早的记录来自批量导入）"]
        else:
            changed = [str(f.verbose_name) for f in fields
                       if getattr(newer, f.attname) != getattr(older, f.attname) and f.editable]
        if changed or older is None:
            log.append({"at": newer.history_date, "user": newer.history_user, "fields": changed})
    return log[:limit]
