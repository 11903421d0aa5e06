"""Shared fixtures: a small two-area world with one persona per role (the scope matrix)."""
from types import SimpleNamespace

import pytest

from kongchuo.models import Role
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _jobs_run_inline(settings):
    """Background jobs run inside the request (the immediate backend); tests/kongchuo/test_jobs_worker.py runs a
    real `db_worker` process instead."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _persona(username, role, **scope):
    user = f.UserFactory(username=username)
    f.RoleAssignmentFactory(user=user, role=role, **scope)
    return user


@pytest.fixture
def world(db):
    """Area 1: 办事处 sub1 (villages v1, v1b; schools A, B) and sub2 (village v2; school C). Area 2: school D.

    Students: a1 (A 3(1), v1, 包保 by teacher_a), a2 (A 3(1), v1b), a3 (A 3(2)), a4 (A 4(1)),
    b1 (B 3(1), v1), c1 (C, v2), d1 (area 2). Each persona holds one role.
    """
    w = SimpleNamespace()
    w.area = f.AreaFactory(name="上天梯管理区")
    w.sub1 = f.SubDistrictFactory(area=w.area, name="土城办事处")
    w.sub2 = f.SubDistrictFactory(area=w.area, name="邻近办事处")
    w.v1 = f.VillageFactory(subdistrict=w.sub1, name="胡洼村")
    w.v1b = f.VillageFactory(subdistrict=w.sub1, name="刘寨村")
    w.v2 = f.VillageFactory(subdistrict=w.sub2, name="远方村")
    w.area2 = f.AreaFactory(name="邻区")
    w.sub_other = f.SubDistrictFactory(area=w.area2)
    w.v_other = f.VillageFactory(subdistrict=w.sub_other)
    w.year = f.SchoolYearFactory()
    w.school_a = f.SchoolFactory(subdistrict=w.sub1, name="土城中心小学")
    w.school_b = f.SchoolFactory(subdistrict=w.sub1, name="胡洼小学")
    w.school_c = f.SchoolFactory(subdistrict=w.sub2, name="邻办小学")
    w.school_d = f.SchoolFactory(subdistrict=w.sub_other, name="邻区小学")
    w.grade_a3 = f.GradeFactory(school=w.school_a, school_year=w.year, level=3)
    w.grade_a4 = f.GradeFactory(school=w.school_a, school_year=w.year, level=4)
    w.class_a31 = f.SchoolClassFactory(grade=w.grade_a3, number=1)
    w.class_a32 = f.SchoolClassFactory(grade=w.grade_a3, number=2)
    w.class_a41 = f.SchoolClassFactory(grade=w.grade_a4, number=1)
    w.class_b31 = f.SchoolClassFactory(grade=f.GradeFactory(school=w.school_b, school_year=w.year), number=1)
    w.class_c31 = f.SchoolClassFactory(grade=f.GradeFactory(school=w.school_c, school_year=w.year), number=1)
    w.class_d31 = f.SchoolClassFactory(grade=f.GradeFactory(school=w.school_d, school_year=w.year), number=1)
    w.a1 = f.StudentFactory(name="张保杰", school_class=w.class_a31, village=w.v1)
    w.a2 = f.StudentFactory(name="李明", school_class=w.class_a31, village=w.v1b)
    w.a3 = f.StudentFactory(name="王芳", school_class=w.class_a32, village=w.v1b, gender="F")
    w.a4 = f.StudentFactory(name="赵强", school_class=w.class_a41, village=w.v1b)
    w.b1 = f.StudentFactory(name="孙悦", school_class=w.class_b31, village=w.v1, gender="F")
    w.c1 = f.StudentFactory(name="周杰", school_class=w.class_c31, village=w.v2)
    w.d1 = f.StudentFactory(name="吴迪", school_class=w.class_d31, village=w.v_other)
    w.teacher_a = _persona("teacher_a", Role.TEACHER, school=w.school_a)
    f.CareAssignmentFactory(teacher=w.teacher_a, student=w.a1)
    w.head_a = _persona("head_a", Role.HEAD_TEACHER, school_class=w.class_a31)
    w.gradelead_a = _persona("gradelead_a", Role.GRADE_LEADER, grade=w.grade_a3)
    w.principal_a = _persona("principal_a", Role.SCHOOL_ADMIN, school=w.school_a)
    w.principal_b = _persona("principal_b", Role.SCHOOL_ADMIN, school=w.school_b)
    w.teacher_b = _persona("teacher_b", Role.TEACHER, school=w.school_b)
    f.CareAssignmentFactory(teacher=w.teacher_b, student=w.b1)
    w.office = _persona("office", Role.OFFICE_STAFF, area=w.area)
    w.leader = _persona("leader", Role.LEADERSHIP, area=w.area)
    w.subdistrict = _persona("subdistrict", Role.SUBDISTRICT_STAFF, subdistrict=w.sub1)
    w.village = _persona("village", Role.VILLAGE_CADRE, village=w.v1)
    w.sysadmin = _persona("sysadmin", Role.SYSADMIN, area=w.area)
    w.sysadmin.is_staff = w.sysadmin.is_superuser = True
    w.sysadmin.save()
    w.nobody = f.UserFactory(username="nobody")
    return w


# Which students each persona of `world` must see — the scope matrix every later URL test reuses.
STUDENT_SCOPE = {
    "teacher_a": {"a1"},
    "head_a": {"a1", "a2"},
    "gradelead_a": {"a1", "a2", "a3"},
    "principal_a": {"a1", "a2", "a3", "a4"},
    "principal_b": {"b1"},
    "teacher_b": {"b1"},
    "office": {"a1", "a2", "a3", "a4", "b1", "c1"},
    "leader": {"a1", "a2", "a3", "a4", "b1", "c1"},
    "subdistrict": {"a1", "a2", "a3", "a4", "b1"},
    "village": {"a1", "b1"},
    "sysadmin": set(),
    "nobody": set(),
}
ALL_STUDENTS = ("a1", "a2", "a3", "a4", "b1", "c1", "d1")


@pytest.fixture
def scope_matrix(client):
    """Check "own visible, neighbour 404" for a URL built from an object.

    Usage: scope_matrix(world, url_for=lambda obj: reverse(...), objects={"a1": obj_of_a1, ...},
                        expected={"teacher_a": {"a1"}, ...}, ok_status=200)
    Every persona in `expected` is logged in; for each object its URL answers `ok_status` when the
    object's key is in the persona's set, and 404 otherwise.
    """

    def check(world, *, url_for, objects, expected, ok_status=200):
        failures = []
        for username, visible_keys in expected.items():
            user = getattr(world, username)
            client.force_login(user)
            for key, obj in objects.items():
                status = client.get(url_for(obj)).status_code
                want = ok_status if key in visible_keys else 404
                if status != want:
                    failures.append(f"{username} → {key}: {status}, expected {want}")
            client.logout()
        assert not failures, "scope matrix failures:\n" + "\n".join(failures)

    return check
