"""包保 responsibility (SPEC §1, seed 四(五)1): 科任教师包人 (CareAssignment, one teacher per student) and
教育办领导包学校 (OfficeSchoolLiaison). 班主任包班 and 校领导包年级 are role assignments (kongchuo)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access
from kongchuo.models import Role, RoleAssignment
from students.models import CareAssignment, OfficeSchoolLiaison, Student

from .base import require, stamp


def _end(assignment, actor, today):
    assignment.is_active, assignment.end_date = False, today
    stamp(assignment, actor).save()


@transaction.atomic
def care_assign(*, actor, teacher, students):
    """Make `teacher` the 包保 teacher of each student (one by one or in bulk). A student's previous 包保 teacher
    is replaced (the old assignment ends, kept in history). Returns the number of students newly assigned."""
    ids = sorted({s.pk for s in students})
    if not ids:
        raise ValidationError({"students": "请至少选择一名学生。"})
    allowed = Student.objects.filter(pk__in=ids)
    if actor is not None:
        allowed = access.filter_can(allowed, actor, "student.assign_care")
    allowed = list(allowed.select_related("school"))
    if len(allowed) != len(ids):
        raise PermissionDenied("所选学生中有您无权指定包保教师的学生。")
    if teacher is None:
        raise ValidationError({"teacher": "请选择包保教师。"})
    if not teacher.is_active:
        raise ValidationError({"teacher": f"{teacher.display_name} 的账号已停用。"})
    schools = {s.school for s in allowed}
    for school in schools:
        if school is None or not access.can(teacher, "school.teach", school):
            raise ValidationError({"teacher": f"{teacher.display_name} 不是{school or '该校'}的教师，不能包保该校学生。"})
    today = timezone.localdate()
    current = {}
    for a in CareAssignment.objects.select_for_update().filter(student_id__in=ids, is_active=True).order_by("pk"):
        current.setdefault(a.student_id, []).append(a)
    created = 0
    for student in allowed:
        mine = [a for a in current.get(student.pk, []) if a.teacher_id == teacher.pk]
        for other in current.get(student.pk, []):
            if other.teacher_id != teacher.pk:
                _end(other, actor, today)
        if not mine:
            stamp(CareAssignment(teacher=teacher, student=student, assigned_by=actor), actor).save()
            created += 1
    return created


@transaction.atomic
def care_end(*, actor, assignment):
    require(actor, "student.assign_care", assignment.student, "您没有权限调整该学生的包保教师。")
    assignment = CareAssignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment.is_active:
        raise ValidationError("该包保关系已结束。")
    _end(assignment, actor, timezone.localdate())
    return assignment


@transaction.atomic
def liaison_set(*, actor, school, leader):
    """教育办领导包学校: name the 教育办 leader responsible for a school (replaces the previous one)."""
    require(actor, "school.assign_liaison", school, "只有教育办工作人员可以指定包校领导。")
    if leader is None:
        raise ValidationError({"leader": "请选择教育办包校领导。"})
    if not leader.is_active or not access.can(leader, "school.be_liaison", school):
        raise ValidationError({"leader": f"{leader.display_name} 不是负责该校所在管理区的教育办工作人员。"})
    today = timezone.localdate()
    current = list(OfficeSchoolLiaison.objects.select_for_update().filter(school=school, is_active=True).order_by("pk"))
    for link in current:
        if link.leader_id == leader.pk:
            return link
        link.is_active, link.end_date = False, today
        stamp(link, actor).save()
    link = OfficeSchoolLiaison(leader=leader, school=school, assigned_by=actor)
    stamp(link, actor).save()
    return link


@transaction.atomic
def tier_assign(*, actor, user, school_class=None, grade=None):
    """班主任包班 / 校领导包年级: make `user` (a colleague of the school) the 班主任 of `school_class` or the 校领导 of
    `grade`. These are role assignments (they give the class / grade scope); a previous holder's assignment is
    deactivated (kept in history). Returns the assignment."""
    if (school_class is None) == (grade is None):
        raise ValidationError({"target": "请选择一个班级或一个年级。"})
    school = school_class.grade.school if school_class is not None else grade.school
    require(actor, "school.assign_tiers", school, "只有本校学校管理员可以指定班主任和校领导。")
    if user is None:
        raise ValidationError({"user": "请选择教师。"})
    if not user.is_active or not access.can(user, "school.teach", school):
        raise ValidationError({"user": f"{user.display_name} 不是{school}的教职工，不能包班或包年级。"})
    if school_class is not None:
        role, holders = Role.HEAD_TEACHER, access.responsible_holders(school_class_ids=[school_class.pk])
    else:
        role, holders = Role.GRADE_LEADER, access.responsible_holders(grade_ids=[grade.pk])
    current = holders[role]
    for a in current:
        if a.user_id == user.pk:
            return a
    for a in current:
        a.is_active = False
        a.note = (f"{a.note} " if a.note else "") + f"由{getattr(actor, 'display_name', '系统')}改派"
        stamp(a, actor).save()
    assignment = RoleAssignment(user=user, role=role, school_class=school_class, grade=grade,
                                note=f"包保页面指定（{getattr(actor, 'display_name', '系统')}）")
    assignment.full_clean()
    stamp(assignment, actor).save()
    return assignment


@transaction.atomic
def care_end_for_teacher(*, actor, teacher):
    """The teacher's account ends (go-live, staff.services.account_end — which checked
    kongchuo.access.can_manage_account): every active 包保 of theirs ends today, so their students show in the
    school's 未包保 list at once. Returns the students whose 包保 ended."""
    today = timezone.localdate()
    ended = []
    for assignment in (CareAssignment.objects.select_for_update().filter(teacher=teacher, is_active=True)
                       .select_related("student").order_by("pk")):
        _end(assignment, actor, today)
        ended.append(assignment.student)
    return ended
