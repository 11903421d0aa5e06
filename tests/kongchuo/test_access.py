import pytest
from django.http import Http404

from kongchuo import access
from kongchuo.models import Role, School
from students.models import FamilyMember, Student
from tests.conftest import ALL_STUDENTS, STUDENT_SCOPE
from tests import factories as f


@pytest.mark.parametrize("username", sorted(STUDENT_SCOPE))
def test_student_scope_matches_matrix(world, username):
    user = getattr(world, username)
    visible = set(Student.objects.visible_to(user).values_list("pk", flat=True))
    expected = {getattr(world, key).pk for key in STUDENT_SCOPE[username]}
    assert visible == expected


def test_family_members_follow_their_student_scope(world):
    own = f.FamilyMemberFactory(student=world.a1)
    other = f.FamilyMemberFactory(student=world.b1)
    visible = set(access.visible(FamilyMember, world.teacher_a).values_list("pk", flat=True))
    assert own.pk in visible and other.pk not in visible


def test_get_visible_or_404_denies_neighbour(world):
    assert access.get_visible_or_404(Student, world.principal_a, pk=world.a4.pk) == world.a4
    with pytest.raises(Http404):
        access.get_visible_or_404(Student, world.principal_a, pk=world.b1.pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(Student, world.principal_a, pk="not-a-number")


def test_school_scope_per_role(world):
    def names(user):
        return set(School.objects.filter(access.scope_q(School, user)).values_list("name", flat=True))

    assert names(world.head_a) == {"土城中心小学"}
    assert names(world.principal_b) == {"胡洼小学"}
    assert names(world.subdistrict) == {"土城中心小学", "胡洼小学"}
    assert names(world.office) == {"土城中心小学", "胡洼小学", "邻办小学"}
    assert names(world.village) == set()


def test_leadership_group_is_read_only(world):
    assert access.can(world.leader, "student.view", world.a1)
    assert not access.can(world.leader, "student.edit", world.a1)
    assert not access.can(world.leader, "case.act")


def test_can_checks_object_inside_the_role_scope(world):
    assert access.can(world.principal_a, "student.import")
    assert access.can(world.principal_a, "student.status_change", world.a4)
    assert not access.can(world.principal_a, "student.status_change", world.b1)
    # The head teacher may edit their class, not the parallel class.
    assert access.can(world.head_a, "student.edit", world.a2)
    assert not access.can(world.head_a, "student.edit", world.a3)


def test_role_only_counts_inside_its_own_scope(world):
    """A user who is 班主任 of A 3(1) and 科任教师 in B must not gain B's class through the head-teacher role."""
    f.RoleAssignmentFactory(user=world.head_a, role=Role.TEACHER, school=world.school_b)
    world.head_a._kc_scope = None
    assert not access.can(world.head_a, "student.edit", world.b1)
    assert set(Student.objects.visible_to(world.head_a)) == {world.a1, world.a2}


def test_sysadmin_sees_configuration_not_children(world):
    assert access.can(world.sysadmin, "admin.manage")
    assert not Student.objects.visible_to(world.sysadmin).exists()


def test_inactive_assignment_gives_no_scope(world):
    world.principal_a.role_assignments.update(is_active=False)
    world.principal_a._kc_scope = None
    assert not Student.objects.visible_to(world.principal_a).exists()
    assert not access.can(world.principal_a, "student.view")


def test_user_without_role_sees_nothing(world):
    for key in ALL_STUDENTS:
        assert not access.can(world.nobody, "student.view", getattr(world, key))


def test_navigation_shows_only_permitted_items(world):
    labels = {item["label"] for item in access.navigation_for(world.teacher_a)}
    assert "我的工作台" in labels and "系统管理" not in labels and "访问日志" not in labels
    admin_labels = {item["label"] for item in access.navigation_for(world.sysadmin)}
    assert "系统管理" in admin_labels


def test_unknown_action_is_a_programming_error(world):
    with pytest.raises(LookupError):
        access.can(world.office, "no.such.action")
