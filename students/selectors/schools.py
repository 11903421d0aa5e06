"""School pages of the registry: students without a 包保 teacher, priority list, the school's 包保 tiers."""
from django.db.models import Exists, OuterRef, Q

from kongchuo import access
from kongchuo.models import School, User
from students.models import CareAssignment, OfficeSchoolLiaison, Student, VulnerabilityFlag

from .search import active_care_prefetch, active_flags_prefetch

def school_for(user, pk):
    return access.get_visible_or_404(School, user, pk=pk)


def school_staff_q(school, prefix=""):
    """Accounts with an active assignment at the school (any role bound to the school, its grades or classes)."""
    p = prefix
    return Q(**{f"{p}role_assignments__is_active": True}) & (
        Q(**{f"{p}role_assignments__school": school})
        | Q(**{f"{p}role_assignments__grade__school": school})
        | Q(**{f"{p}role_assignments__school_class__grade__school": school}))


def teacher_choices(user, school):
    """Colleagues the user may name as 包保 teacher at `school` (access.visible(User) ∩ staff of the school)."""
    ids = access.visible(User, user).filter(school_staff_q(school), is_active=True).values("pk")
    return User.objects.filter(pk__in=ids).order_by("real_name", "username")


def liaison_choices(user, school):
    ids = access.visible(User, user).filter(role_assignments__area_id=school.area_id,
                                            role_assignments__is_active=True, is_active=True).values("pk")
    return User.objects.filter(pk__in=ids).order_by("real_name", "username")


def unassigned_students(user, school):
    """Students on the school's roll without an active 包保 teacher (within the user's scope)."""
    return (Student.objects.visible_to(user).filter(school=school).active()
            .filter(~Exists(CareAssignment.objects.filter(student=OuterRef("pk"), is_active=True)))
            .select_related("grade", "school_class__grade").prefetch_related(active_flags_prefetch())
            .order_by("grade__level", "school_class__number", "name_pinyin", "pk"))


def priority_students(user, school, kind=""):
    """Priority list (重点关注名单): students of the school with any active flag (or one kind)."""
    flags = VulnerabilityFlag.objects.filter(student=OuterRef("pk"), end_date__isnull=True)
    if kind:
        flags = flags.filter(kind=kind)
    return (Student.objects.visible_to(user).filter(school=school).filter(Exists(flags))
            .select_related("grade", "school_class__grade")
            .prefetch_related(active_flags_prefetch(), active_care_prefetch())
            .order_by("grade__level", "school_class__number", "name_pinyin", "pk"))


def school_chain(school):
    """The school's 包保 tiers: 教育办 liaison, principals, 校领导 per grade, 班主任 per class (four queries)."""
    from kongchuo.models import Role

    grades = list(school.grades.filter(school_year__is_current=True).prefetch_related("classes").order_by("level"))
    classes = [c for g in grades for c in g.classes.all()]
    holders = access.responsible_holders(school_class_ids=[c.pk for c in classes], grade_ids=[g.pk for g in grades],
                                         school_ids=[school.pk])
    by_grade, by_class = {}, {}
    for a in holders[Role.GRADE_LEADER]:
        by_grade.setdefault(a.grade_id, []).append(a.user)
    for a in holders[Role.HEAD_TEACHER]:
        by_class.setdefault(a.school_class_id, []).append(a.user)
    rows = [{"grade": g, "leaders": by_grade.get(g.pk, []),
             "classes": [(c, by_class.get(c.pk, [])) for c in g.classes.all()]} for g in grades]
    liaison = OfficeSchoolLiaison.objects.filter(school=school, is_active=True).select_related("leader").first()
    return {"grades": rows, "principals": [a.user for a in holders[Role.SCHOOL_ADMIN]], "liaison": liaison}
