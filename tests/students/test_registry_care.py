"""包保: teacher ↔ student one by one and in bulk, replacement keeps history, chain, 教育办 leader ↔ school."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kongchuo import access
from kongchuo.models import Role
from students import selectors, services
from students.models import CareAssignment, OfficeSchoolLiaison, Student
from tests.conftest import _persona


def test_bulk_assign_gives_teacher_scope_of_those_students(world):
    created = services.care_assign(actor=world.principal_a, teacher=world.teacher_a, students=[world.a2, world.a3])
    assert created == 2
    world.teacher_a._kc_scope = None
    assert set(Student.objects.visible_to(world.teacher_a)) == {world.a1, world.a2, world.a3}


def test_assigning_again_replaces_previous_teacher_and_keeps_history(world):
    teacher2 = _persona("teacher_a2", Role.TEACHER, school=world.school_a)
    services.care_assign(actor=world.head_a, teacher=teacher2, students=[world.a1])
    old = CareAssignment.objects.get(teacher=world.teacher_a, student=world.a1)
    assert not old.is_active and old.end_date is not None
    assert CareAssignment.objects.get(student=world.a1, is_active=True).teacher == teacher2
    assert services.care_assign(actor=world.head_a, teacher=teacher2, students=[world.a1]) == 0


def test_assign_refuses_teacher_of_other_school_and_students_outside_rights(world):
    with pytest.raises(ValidationError, match="不是土城中心小学的教师"):
        services.care_assign(actor=world.principal_a, teacher=world.teacher_b, students=[world.a2])
    with pytest.raises(PermissionDenied):
        services.care_assign(actor=world.head_a, teacher=world.teacher_a, students=[world.a2, world.a3])
    with pytest.raises(PermissionDenied):
        services.care_assign(actor=world.teacher_a, teacher=world.teacher_a, students=[world.a2])
    assert not CareAssignment.objects.filter(student__in=[world.a2, world.a3]).exists()


def test_assign_needs_students_and_teacher(world):
    with pytest.raises(ValidationError, match="请至少选择一名学生"):
        services.care_assign(actor=world.principal_a, teacher=world.teacher_a, students=[])
    with pytest.raises(ValidationError, match="请选择包保教师"):
        services.care_assign(actor=world.principal_a, teacher=None, students=[world.a2])


def test_care_end_removes_scope(world):
    assignment = CareAssignment.objects.get(teacher=world.teacher_a, student=world.a1)
    services.care_end(actor=world.principal_a, assignment=assignment)
    world.teacher_a._kc_scope = None
    assert not Student.objects.visible_to(world.teacher_a).exists()
    with pytest.raises(ValidationError, match="已结束"):
        services.care_end(actor=world.principal_a, assignment=assignment)


def test_unassigned_students_of_school_within_scope(world):
    assert set(selectors.unassigned_students(world.principal_a, world.school_a)) == {world.a2, world.a3, world.a4}
    assert set(selectors.unassigned_students(world.head_a, world.school_a)) == {world.a2}
    world.a4.status = Student.Status.TRANSFERRED
    world.a4.save()
    assert world.a4 not in set(selectors.unassigned_students(world.principal_a, world.school_a))


def test_teacher_choices_are_colleagues_of_the_school(world):
    names = set(selectors.teacher_choices(world.principal_a, world.school_a).values_list("username", flat=True))
    assert {"teacher_a", "head_a", "gradelead_a", "principal_a"} <= names
    assert not names & {"teacher_b", "principal_b", "office"}


def test_care_chain_shows_every_tier(world):
    services.liaison_set(actor=world.office, school=world.school_a, leader=world.office)
    chain = selectors.care_chain(world.a1)
    assert [c.teacher for c in chain.teachers] == [world.teacher_a]
    assert [a.user for a in chain.head_teachers] == [world.head_a]
    assert [a.user for a in chain.grade_leaders] == [world.gradelead_a]
    assert [a.user for a in chain.principals] == [world.principal_a]
    assert [link.leader for link in chain.liaisons] == [world.office]


def test_liaison_only_office_staff_of_the_area_and_replaced_with_history(world):
    with pytest.raises(PermissionDenied):
        services.liaison_set(actor=world.principal_a, school=world.school_a, leader=world.office)
    with pytest.raises(ValidationError, match="不是负责该校所在管理区的教育办工作人员"):
        services.liaison_set(actor=world.office, school=world.school_a, leader=world.principal_a)
    other = _persona("office2", Role.OFFICE_STAFF, area=world.area)
    services.liaison_set(actor=world.office, school=world.school_a, leader=world.office)
    services.liaison_set(actor=world.office, school=world.school_a, leader=other)
    assert OfficeSchoolLiaison.objects.get(school=world.school_a, is_active=True).leader == other
    assert OfficeSchoolLiaison.objects.filter(school=world.school_a).count() == 2
    assert set(selectors.liaison_choices(world.office, world.school_a)) >= {world.office, other}


def test_school_chain_lists_grade_leaders_and_head_teachers(world):
    chain = selectors.school_chain(world.school_a)
    grade3 = next(r for r in chain["grades"] if r["grade"] == world.grade_a3)
    assert grade3["leaders"] == [world.gradelead_a]
    assert dict(grade3["classes"])[world.class_a31] == [world.head_a]
    assert chain["principals"] == [world.principal_a] and chain["liaison"] is None


def test_filter_can_limits_bulk_actions_to_rights(world):
    qs = access.filter_can(Student.objects.all(), world.head_a, "student.assign_care")
    assert set(qs) == {world.a1, world.a2}
    assert not access.filter_can(Student.objects.all(), world.teacher_a, "student.assign_care").exists()


def test_tier_assign_names_head_teacher_and_grade_leader_with_scope(world):
    services.tier_assign(actor=world.principal_a, user=world.teacher_a, school_class=world.class_a32)
    world.teacher_a._kc_scope = None
    assert world.a3 in Student.objects.visible_to(world.teacher_a)
    # replacing the 班主任 of 3(1) deactivates head_a's assignment (kept in history)
    services.tier_assign(actor=world.principal_a, user=world.teacher_a, school_class=world.class_a31)
    world.head_a._kc_scope = None
    assert not Student.objects.visible_to(world.head_a).exists()
    assert world.head_a.role_assignments.get().history.count() == 2
    services.tier_assign(actor=world.principal_a, user=world.teacher_a, grade=world.grade_a4)
    assert [a.user for a in access.responsible_holders(grade_ids=[world.grade_a4.pk])[Role.GRADE_LEADER]] == [world.teacher_a]


def test_tier_assign_refuses_outsiders(world):
    with pytest.raises(PermissionDenied):
        services.tier_assign(actor=world.principal_b, user=world.teacher_b, school_class=world.class_a32)
    with pytest.raises(PermissionDenied):
        services.tier_assign(actor=world.head_a, user=world.teacher_a, school_class=world.class_a32)
    with pytest.raises(ValidationError, match="不是土城中心小学的教职工"):
        services.tier_assign(actor=world.principal_a, user=world.teacher_b, school_class=world.class_a32)
    with pytest.raises(ValidationError, match="请选择一个班级或一个年级"):
        services.tier_assign(actor=world.principal_a, user=world.teacher_a)
